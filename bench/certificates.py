"""Certificates: first render against bare WeasyPrint, repeat download from storage, bulk rendering.

Baselines measured in the same run:
- ``bare_*``: the same page (the certificate's HTML and CSS, inlined) rendered by WeasyPrint
  alone — no Flask, no template, no database, no QR generation, no fetcher — with the same warm
  font configuration, so the ratio is Adal's own overhead;
- ``bare_hello_a4_ms``: a one-line A4 landscape document, for scale.
Adal's first render is a new certificate's template, QR code, fetcher and WeasyPrint; the issue
adds what completion does around it (look-ups, insert, audit, commit). Every run lays out new
text (name, code, QR) in every series, as each issue does. The repeat download is a GET through
the test client, served from storage. The bulk run renders certificates in a pool of two
processes and reports each worker's RSS growth (and its growth over the second half).
"""

import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

N_BULK, N_BULK_QUICK = 1000, 100
RUNS, RUNS_QUICK = 15, 7
DOWNLOADS, DOWNLOADS_QUICK = 50, 20
WARMUP_RENDERS = 10  #: renders before a worker's RSS is taken as its starting point
PASSWORD = "bench password 1"  # noqa: S105 (a throwaway database)


def _app(workdir: Path):
    from lms import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "ADAL_STORAGE_PATH": str(workdir / "storage"),
            "ADAL_BASE_URL": "https://adal.example.kz",
            "WTF_CSRF_ENABLED": False,
        }
    )


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 1)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _setup(app, learners: int):
    """A course with a year's validity and ``learners`` people enrolled, ready to complete."""
    from werkzeug.security import generate_password_hash

    from courses.models import Course, CourseStatus, Enrolment
    from lms.extensions import db
    from lms.models import User

    db.create_all()
    course = Course(
        slug="anti-corruption",
        status=CourseStatus.PUBLISHED,
        title={
            "kk": "Сыбайлас жемқорлыққа қарсы іс-қимыл негіздері",
            "ru": "Основы противодействия коррупции",
            "en": "Anti-corruption basics",
        },
        validity_months=12,
    )
    password = generate_password_hash(PASSWORD)
    users = [
        User(email=f"p{n}@metu.kz", full_name=f"Әсем Ғалымжанқызы Қоңырбаева {n}", locale="kk", password_hash=password)
        for n in range(learners)
    ]
    db.session.add_all([course, *users])
    db.session.flush()
    enrolments = [Enrolment(user_id=u.id, course_id=course.id, course_slug=course.slug) for u in users]
    db.session.add_all(enrolments)
    db.session.commit()
    return course, users, enrolments


def _inline_css(html: str) -> str:
    """The certificate HTML with its stylesheet inlined, for the bare WeasyPrint baseline."""
    from lms.static_paths import STATIC

    css = (STATIC / "css" / "certificate.css").read_text()
    return html.replace('<link rel="stylesheet" href="css/certificate.css">', f"<style>{css}</style>")


def _single_figures(app, runs: int, downloads: int) -> dict:
    from weasyprint import HTML

    from courses.certificates import issuing, rendering
    from courses.certificates.codes import new_code
    from courses.models import EnrolmentStatus
    from lms.database import utcnow
    from lms.extensions import db
    from lms.pdf_engine import font_configuration

    course, users, enrolments = _setup(app, runs + 2)
    pending = iter(enrolments)

    def issue_one():
        enrolment = next(pending)
        enrolment.status = EnrolmentStatus.COMPLETED
        enrolment.completed_at = utcnow()
        enrolment.score = 95
        issuing.issue_certificate(db.session, enrolment)
        db.session.commit()

    issue_one()  # the process's very first render loads the fonts; a web worker pays it once

    def new_facts(n: int):
        """What learner ``n``'s certificate says: a fresh name and code, so fresh text to lay out."""
        return rendering.CertificateFacts(
            code=new_code(),
            holder_name=users[n].full_name,
            score=95,
            locale="kk",
            layout="single",
            issued_at=utcnow(),
            expires_at=None,
        )

    def bare_page(n: int) -> str:
        """The page Adal would render for learner ``n``, CSS inlined, for WeasyPrint alone."""
        return _inline_css(rendering.render_certificate_html(db.session, new_facts(n), course))

    pages = [bare_page(n) for n in range(runs + 1)]
    hello = "<html><head><style>@page { size: A4 landscape }</style></head><body><p>Hello</p></body></html>"
    HTML(string=pages.pop()).write_pdf(font_config=font_configuration())
    # Interleaved, so that a burst of load on the shared machine hits every series alike.
    bare, first, issued, plain = [], [], [], []
    for n, page in enumerate(pages):
        bare.append(_median_ms(lambda page=page: HTML(string=page).write_pdf(font_config=font_configuration()), 1))
        first.append(_median_ms(lambda n=n: rendering.render_certificate_pdf(db.session, new_facts(n), course), 1))
        issued.append(_median_ms(issue_one, 1))
        plain.append(_median_ms(lambda: HTML(string=hello).write_pdf(font_config=font_configuration()), 1))
    bare_ms, first_ms, issue_ms, hello_ms = (statistics.median(s) for s in (bare, first, issued, plain))

    cert = issuing.certificate_of(db.session, enrolments[0].id)
    client = app.test_client()
    client.post("/login", data={"email": users[0].email, "password": PASSWORD})
    url = f"/certificates/{cert.id}.pdf"
    assert client.get(url).status_code == 200

    def download():
        response = client.get(url)
        assert response.status_code == 200 and response.data[:4] == b"%PDF"

    download_ms = _median_ms(download, downloads)
    return {
        "bare_weasyprint_same_page_ms": bare_ms,
        "bare_hello_a4_ms": hello_ms,
        "adal_first_render_ms": first_ms,
        "first_render_ratio_vs_bare": round(first_ms / bare_ms, 2),
        "first_render_target_ratio": 1.3,
        "adal_issue_with_db_ms": issue_ms,
        "issue_ratio_vs_bare": round(issue_ms / bare_ms, 2),
        "repeat_download_ms": download_ms,
        "repeat_download_target_ms": 20,
        "repeat_download_ratio_vs_first_render": round(download_ms / first_ms, 3),
        "pdf_bytes": len(issuing.certificate_pdf(db.session, cert)),
    }


# --- Bulk, in a pool of two processes ----------------------------------------------------------

_worker: dict = {}


def _init_worker(workdir: str) -> None:
    app = _app(Path(workdir))
    context = app.app_context()
    context.push()
    from courses.models import Course
    from lms.extensions import db

    _worker.update(app=app, context=context, course=db.session.query(Course).one(), renders=0)


def _render_batch(numbers: list[int]) -> tuple[int, int, float, float | None]:
    """Render one certificate per number; return pid, renders so far, RSS now, RSS after warm-up."""
    from courses.certificates import rendering
    from courses.certificates.codes import new_code
    from lms.database import utcnow
    from lms.extensions import db

    for n in numbers:
        facts = rendering.CertificateFacts(
            code=new_code(),
            holder_name=f"Әсем Ғалымжанқызы Қоңырбаева {n}",
            score=80 + n % 20,
            locale=("kk", "ru", "en")[n % 3],
            layout="kk-ru" if n % 10 == 0 else "single",
            issued_at=utcnow(),
            expires_at=None,
        )
        pdf = rendering.render_certificate_pdf(db.session, facts, _worker["course"])
        assert pdf[:4] == b"%PDF"
        _worker["renders"] += 1
        if _worker["renders"] == WARMUP_RENDERS:
            _worker["rss_start"] = _rss_mb()
    return os.getpid(), _worker["renders"], _rss_mb(), _worker.get("rss_start")


def _bulk_figures(workdir: Path, count: int) -> dict:
    numbers = list(range(count))
    batches = [numbers[i : i + 10] for i in range(0, count, 10)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(2, initializer=_init_worker, initargs=(str(workdir),)) as pool:
        pool.map(_render_batch, [[0]] * 2, chunksize=1)  # start both workers (fonts, app) off the clock
        start = time.perf_counter()
        results = pool.map(_render_batch, batches, chunksize=1)
        elapsed = time.perf_counter() - start
    last: dict[int, tuple[int, float, float]] = {}
    samples: dict[int, list[tuple[int, float]]] = {}
    for pid, renders, rss, rss_start in results:
        samples.setdefault(pid, []).append((renders, rss))
        if rss_start is not None and (pid not in last or renders > last[pid][0]):
            last[pid] = (renders, rss, rss_start)
    growth = {pid: round(rss - start, 1) for pid, (_renders, rss, start) in last.items()}
    # Flat means the second half of a worker's renders adds (almost) nothing.
    second_half = []
    for pid, (renders, rss, _start) in last.items():
        middle = min(samples[pid], key=lambda sample: abs(sample[0] - renders / 2))
        second_half.append(round(rss - middle[1], 1))
    return {
        "bulk_certificates": count,
        "bulk_processes": 2,
        "bulk_seconds": round(elapsed, 1),
        "bulk_per_second": round(count / elapsed, 1),
        "bulk_worker_renders": [renders for renders, _rss, _start in last.values()],
        "bulk_worker_rss_mb": [round(rss, 1) for _renders, rss, _start in last.values()],
        "bulk_worker_rss_growth_mb": list(growth.values()),
        "bulk_worker_rss_growth_second_half_mb": second_half,
        "bulk_rss_growth_target_mb": 20,
    }


def run(quick: bool = False) -> dict:
    """Every figure of the certificate benchmark, in one run."""
    with tempfile.TemporaryDirectory(prefix="adal-bench-") as tmp:
        workdir = Path(tmp)
        app = _app(workdir)
        with app.app_context():
            figures = _single_figures(app, RUNS_QUICK if quick else RUNS, DOWNLOADS_QUICK if quick else DOWNLOADS)
        figures |= _bulk_figures(workdir, N_BULK_QUICK if quick else N_BULK)
        figures["cores"] = os.cpu_count()
        return figures


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.certificates [--quick] [--json]``, through the shared runner."""
    from bench.__main__ import main as bench_main

    return bench_main(["certificates", *(argv or [])])


if __name__ == "__main__":
    raise SystemExit(main(__import__("sys").argv[1:]))
