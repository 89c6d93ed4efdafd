"""The office's dashboard at the scale of a university, on SQLite and on PostgreSQL in the same run.

Run it::

    .venv/bin/python -m bench dashboard [--quick] [--json]        # SQLite only
    ADAL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench dashboard                       # SQLite, then PostgreSQL

PostgreSQL is measured when ``ADAL_BENCH_DATABASE_URL`` (else ``ADAL_TEST_DATABASE_URL``) names a
server: the benchmark creates a database of its own there and drops it afterwards
(``tests.databases.own_database``). Figures are named ``sqlite_*`` and ``postgresql_*``.

The university (``tests.dashboard.university.generate``): 50,000 learners in 120 departments of 12
faculties, 8 mandatory courses with a 10-question quiz, about 300,000 enrolments (72 % of the people
in each course, 5 % in a second cycle) with 425,000 submitted attempts, signatures of the code of
ethics and certificates of the completed; ``--quick``: 2,000 learners and 2 courses. PostgreSQL gets
``ANALYZE`` after the load, as its autovacuum would do within a minute; SQLite is left as the app has it.

Each timing is the median of several runs after one warm-up, each run in a fresh session as a
request has. Each has a baseline measured in the same run: one plain SQL statement over the same
tables giving the same numbers, and the benchmark stops with an error when they differ.

- *dashboard*: ``dashboard.figures.dashboard`` for the whole university (tallies per course and unit,
  weekly trend, due dates, units behind: six queries). Baseline: one GROUP BY (course, faculty)
  giving people, completed, overdue and completed in the period, equal to each course's total and
  faculty rows. Targets: under 300 ms on PostgreSQL, within 3× of the baseline.
- *drill-down*: a faculty's people table, ``people_query`` paginated to 50 (count and page) and
  ``people_rows``. Baseline: one statement giving the same page with each person's state, score,
  attempts and certificate per course, and the count. ``unit_page_ms`` adds the faculty's own
  ``dashboard`` (what the unit page computes), unchecked beyond the dashboard's own check.
- *question statistics*: ``courses.authoring.question_stats.quiz_question_stats`` of one course's quiz.
  Baseline: one GROUP BY (question, language) over the attempts' JSON giving the attempts and the
  facility of each. Target: under 1 s.
- *export*: the dashboard's people export (``dashboard.reports.people_records`` written by
  ``lms.exports.stream_xlsx``) of as many courses as make at least 50,000 rows, consumed whole in a
  child process whose peak RSS growth is measured (``VmHWM`` reset after the app and openpyxl are
  loaded). Baseline: one GROUP BY (course, state) equal to the rows written per course and status.
  Target: peak growth under 200 MB.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url

from tests.databases import TEST_DB_ENV, own_database

FULL = {"people": 50_000, "courses": 8, "faculties": 12, "departments": 10}
QUICK = {"people": 2_000, "courses": 2, "faculties": 3, "departments": 4}
#: People not enrolled in a course: 50,000 × 8 × (1 − 0.285) × 1.05 second cycles ≈ 300,000 enrolments.
ABSENT = 0.285
QUESTIONS = 10
RUNS, RUNS_QUICK = 7, 3
EXPORT_RUNS, EXPORT_RUNS_QUICK = 2, 1
EXPORT_ROWS = 50_000
PAGE = 50
LOCALE = "en"


def run(quick: bool = False, databases: tuple[str, ...] = ("sqlite", "postgresql")) -> dict:
    """The figures on each of ``databases`` there is (PostgreSQL only when a variable names a server)."""
    figures: dict = {"load_average_at_start": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in databases:
            figures |= _measure("sqlite", f"sqlite:///{Path(tmp) / 'dashboard.sqlite3'}", Path(tmp), quick)
        env = _postgresql_env()
        if env and "postgresql" in databases:
            with own_database("adal_bench_dashboard", Path(tmp), env=env) as url:
                figures |= _measure("postgresql", url, Path(tmp), quick)
    figures["load_average_at_end"] = round(os.getloadavg()[0], 2)  # the machine is shared: timings scale with it
    return figures


def _postgresql_env() -> str | None:
    """The variable naming a PostgreSQL server to measure on, if one does."""
    for name in ("ADAL_BENCH_DATABASE_URL", TEST_DB_ENV):
        value = os.environ.get(name)
        if value and make_url(value).get_backend_name() == "postgresql":
            return name
    return None


def _app(url: str, folder: Path):
    from lms import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "ADAL_STORAGE_PATH": str(folder / "storage")}
    )


def _measure(name: str, url: str, folder: Path, quick: bool) -> dict:
    """Generate the university in the database at ``url``, then time everything on it."""
    from zoneinfo import ZoneInfo

    from lms.database import utcnow
    from lms.extensions import db
    from tests.dashboard.university import generate

    size = QUICK if quick else FULL
    runs = RUNS_QUICK if quick else RUNS
    app = _app(url, folder)
    figures: dict = {}
    with app.app_context(), app.test_request_context():
        session = db.session
        db.create_all()
        start = time.perf_counter()
        uni = generate(session, **size, seed=11, now=utcnow(), attempts=True, absent=ABSENT, questions=QUESTIONS)
        figures["generate_s"] = round(time.perf_counter() - start, 1)
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE"))
            session.commit()
        figures |= {"people": uni.people, "courses": len(uni.slugs), "enrolments": uni.enrolments}
        figures["attempts"] = uni.attempts
        zone = ZoneInfo(app.config["ADAL_TIMEZONE"])
        faculty = (uni.faculties[0].id, uni.faculties[0].path)  # read while attached
        figures |= _dashboard(session, uni, zone, runs)
        figures |= _drilldown(session, uni, faculty, zone, runs)
        figures |= _question_stats(session, uni, runs)
        figures |= _export(session, uni, url, folder, quick)
        session.remove()
        db.engine.dispose()
    return {f"{name}_{key}": value for key, value in figures.items()}


def _timed(session, fn, runs: int) -> tuple[float, object]:
    """The median milliseconds of ``runs`` calls of ``fn`` after one warm-up, each in a fresh session."""
    times, value = [], None
    for n in range(runs + 1):
        session.expunge_all()  # what the last run loaded stays readable, detached
        session.rollback()
        start = time.perf_counter()
        value = fn()
        if n:
            times.append(time.perf_counter() - start)
    session.expunge_all()
    session.rollback()
    return round(statistics.median(times) * 1000, 1), value


def _check(what: str, measured, baseline) -> None:
    if measured != baseline:
        raise AssertionError(f"{what}: the measured function and its baseline differ:\n{measured}\n{baseline}")


def _ratio(measured: float, baseline: float) -> float:
    return round(measured / baseline, 2) if baseline else math.inf


def _times(**params):
    """Bind parameters of text SQL typed as stored times (SQLite keeps them as text)."""
    from lms.database import UTCDateTime

    return [bindparam(name, value, type_=UTCDateTime()) for name, value in params.items()]


# The dashboard ------------------------------------------------------------------------------------

#: Each person's current cycle; ``later.cycle > 1`` as the dashboard says (``courses.office.reports.latest_cycle``).
LATEST = """NOT EXISTS (SELECT 1 FROM enrolment later
                 WHERE later.user_id = e.user_id AND later.course_slug = e.course_slug
                   AND later.cycle > e.cycle AND later.cycle > 1)"""

DASHBOARD_SQL = f"""
SELECT e.course_slug, faculty.id AS faculty_id,
       count(*) AS people,
       sum(CASE WHEN e.status = 'completed' AND e.completed_at < :end THEN 1 ELSE 0 END) AS completed,
       sum(CASE WHEN NOT (e.status = 'completed' AND e.completed_at < :end) AND e.due_at < :end
           THEN 1 ELSE 0 END) AS overdue,
       sum(CASE WHEN e.status = 'completed' AND e.completed_at < :end AND e.completed_at >= :since
           THEN 1 ELSE 0 END) AS in_period
FROM enrolment e
JOIN "user" u ON u.id = e.user_id
JOIN org_unit department ON department.id = u.org_unit_id
JOIN org_unit faculty ON faculty.id = department.parent_id
WHERE u.active AND e.status <> 'cancelled' AND e.enrolled_at < :end AND {LATEST}
GROUP BY e.course_slug, faculty.id
"""  # noqa: S608 (no input)


def _dashboard(session, uni, zone, runs: int) -> dict:
    from dashboard.figures import DashboardFilters, dashboard

    filters = DashboardFilters()
    measured_ms, dash = _timed(session, lambda: dashboard(session, filters, LOCALE, zone, uni.now), runs)
    end, since = filters.end(uni.now), filters.start(uni.now, zone)
    query = text(DASHBOARD_SQL).bindparams(*_times(end=end, since=since))
    baseline_ms, rows = _timed(session, lambda: session.execute(query).all(), runs)
    per_faculty = {(r.course_slug, r.faculty_id): (r.people, r.completed, r.overdue, r.in_period) for r in rows}
    totals: dict[str, tuple] = {}
    for (slug, _faculty), counts in per_faculty.items():
        totals[slug] = tuple(map(sum, zip(totals.get(slug, (0, 0, 0, 0)), counts, strict=True)))

    def counts(tally):
        return (tally.people, tally.completed, tally.overdue, tally.completed_in_period)

    _check("dashboard totals", {c.slug: counts(c.total) for c in dash.courses}, totals)
    _check(
        "dashboard faculty rows",
        {(c.slug, unit.id): counts(t) for c in dash.courses for unit, t in c.by_unit if t.people},
        per_faculty,
    )
    return {
        "dashboard_ms": measured_ms,
        "dashboard_baseline_ms": baseline_ms,
        "dashboard_ratio": _ratio(measured_ms, baseline_ms),
        "dashboard_people_counted": sum(c.total.people for c in dash.courses),
    }


# The drill-down -----------------------------------------------------------------------------------

DRILLDOWN_SQL = f"""
WITH page AS (
    SELECT u.id, u.full_name, count(*) OVER () AS total
    FROM "user" u
    WHERE u.active AND u.org_unit_id IN (SELECT id FROM org_unit WHERE path LIKE :prefix)
    ORDER BY u.full_name, u.id
    LIMIT {PAGE}
)
SELECT page.id AS user_id, page.total, e.course_slug,
       CASE WHEN e.status IN ('completed', 'cancelled') THEN e.status
            WHEN e.due_at IS NOT NULL AND e.due_at < :now THEN 'overdue'
            ELSE e.status END AS state,
       e.score,
       (SELECT count(*) FROM quiz_attempt a
        WHERE a.enrolment_id = e.id AND a.submitted_at IS NOT NULL) AS attempts,
       (SELECT min(c.id) FROM certificate c WHERE c.enrolment_id = e.id AND c.revoked_at IS NULL) AS certificate_id
FROM page
LEFT JOIN enrolment e ON e.user_id = page.id AND {LATEST}
ORDER BY page.full_name, page.id
"""  # noqa: S608 (no input)


def _drilldown(session, uni, faculty: tuple[int, str], zone, runs: int) -> dict:
    from dashboard.drilldown import people_query, people_rows
    from dashboard.figures import DashboardFilters, dashboard
    from lms.extensions import db

    faculty_id, faculty_path = faculty
    filters = DashboardFilters(unit_id=faculty_id)

    def people_table():
        page = db.paginate(people_query(filters), page=1, per_page=PAGE, max_per_page=200)
        return page.total, people_rows(session, page.items, uni.slugs, uni.now)

    def unit_page():
        return dashboard(session, filters, LOCALE, zone, uni.now), people_table()

    measured_ms, (total, rows) = _timed(session, people_table, runs)
    unit_ms, _ = _timed(session, unit_page, runs)
    query = text(DRILLDOWN_SQL).bindparams(*_times(now=uni.now), bindparam("prefix", faculty_path + "%"))
    baseline_ms, raw = _timed(session, lambda: session.execute(query).all(), runs)
    cells = {
        (row.person.id, slug): (cell.state, cell.score, cell.attempts, cell.certificate_id)
        for row in rows
        for slug, cell in row.courses.items()
    }
    _check("drill-down page", [row.person.id for row in rows], list(dict.fromkeys(r.user_id for r in raw)))
    _check(
        "drill-down cells",
        cells,
        {(r.user_id, r.course_slug): (r.state, r.score, r.attempts, r.certificate_id) for r in raw if r.course_slug},
    )
    _check("drill-down count", total, raw[0].total if raw else 0)
    return {
        "drilldown_ms": measured_ms,
        "drilldown_baseline_ms": baseline_ms,
        "drilldown_ratio": _ratio(measured_ms, baseline_ms),
        "unit_page_ms": unit_ms,
        "drilldown_faculty_people": total,
    }


# Question statistics ------------------------------------------------------------------------------

QUESTION_SQL = {
    "sqlite": """
        SELECT r.key AS qid, a.locale, count(*) AS n, sum(json_extract(r.value, '$.points')) AS points
        FROM quiz_attempt a, json_each(a.results) r
        WHERE a.module_id = :module AND a.submitted_at IS NOT NULL
        GROUP BY r.key, a.locale""",
    "postgresql": """
        SELECT r.key AS qid, a.locale, count(*) AS n, sum((r.value ->> 'points')::float) AS points
        FROM quiz_attempt a CROSS JOIN LATERAL json_each(a.results) r
        WHERE a.module_id = :module AND a.submitted_at IS NOT NULL
        GROUP BY r.key, a.locale""",
}


def _question_stats(session, uni, runs: int) -> dict:
    from sqlalchemy import select

    from courses.authoring.question_stats import quiz_question_stats
    from courses.models import Question

    module_id = uni.quiz_module_ids[uni.slugs[0]]
    measured_ms, stats = _timed(session, lambda: quiz_question_stats(session, module_id), runs)
    query = text(QUESTION_SQL[session.get_bind().dialect.name]).bindparams(module=module_id)
    baseline_ms, rows = _timed(session, lambda: session.execute(query).all(), runs)
    points = dict(session.execute(select(Question.id, Question.points).where(Question.module_id == module_id)).all())
    expected = {(int(r.qid), r.locale): (r.n, round(float(r.points) / r.n / points[int(r.qid)], 9)) for r in rows}
    got = {
        (qid, group.locale): (group.attempts, round(group.facility, 9))
        for qid, question in stats.items()
        for group in question.languages
    }
    _check("question statistics (attempts, facility)", got, expected)
    return {
        "question_stats_ms": measured_ms,
        "question_stats_baseline_ms": baseline_ms,
        "question_stats_ratio": _ratio(measured_ms, baseline_ms),
        "question_stats_questions": len(stats),
        "question_stats_attempts": max(q.attempts for q in stats.values()),
    }


# The export ---------------------------------------------------------------------------------------

EXPORT_SQL = f"""
SELECT e.course_slug,
       CASE WHEN e.status IN ('completed', 'cancelled') THEN e.status
            WHEN e.due_at IS NOT NULL AND e.due_at < :now THEN 'overdue'
            ELSE e.status END AS state,
       count(*) AS n
FROM enrolment e JOIN "user" u ON u.id = e.user_id
WHERE {LATEST}
GROUP BY 1, 2
"""  # noqa: S608 (no input)


def _export(session, uni, url: str, folder: Path, quick: bool) -> dict:
    from lms.database import utcnow

    runs = EXPORT_RUNS_QUICK if quick else EXPORT_RUNS
    query = text(EXPORT_SQL).bindparams(*_times(now=utcnow()))
    baseline_ms, rows = _timed(session, lambda: session.execute(query).all(), runs)
    per_course = Counter()
    for row in rows:
        per_course[row.course_slug] += row.n
    slugs = []  # the fewest courses making EXPORT_ROWS rows (every course in a quick run)
    for slug in uni.slugs:
        if sum(per_course[s] for s in slugs) >= EXPORT_ROWS:
            break
        slugs.append(slug)
    expected = {(r.course_slug, r.state): r.n for r in rows if r.course_slug in slugs}
    session.commit()
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_export_child, args=(url, str(folder), slugs, runs, send))
    child.start()
    result = receive.recv()
    child.join()
    if "error" in result:
        raise RuntimeError(f"the export's child process failed:\n{result['error']}")
    _check("export rows per course and status", result["counts"], expected)
    rows_written = sum(expected.values())
    return {
        "export_rows": rows_written,
        "export_courses": len(slugs),
        "export_ms": result["ms"],
        "export_baseline_ms": baseline_ms,
        "export_rows_per_s": round(rows_written / result["ms"] * 1000),
        "export_xlsx_mb": round(result["bytes"] / 2**20, 1),
        "export_rss_before_mb": result["rss_before_mb"],
        "export_peak_rss_mb": result["peak_rss_mb"],
        "export_peak_rss_growth_mb": round(result["peak_rss_mb"] - result["rss_before_mb"], 1),
    }


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    raise LookupError(field)


def _export_child(url: str, folder: str, slugs: list[str], runs: int, send) -> None:
    """In a process of its own: export ``slugs`` ``runs`` times after a warm-up; time, count, peak RSS."""
    import traceback

    try:
        send.send(_export_in_child(url, Path(folder), slugs, runs))
    except Exception:
        send.send({"error": traceback.format_exc()})
    finally:
        send.close()


def _export_in_child(url: str, folder: Path, slugs: list[str], runs: int) -> dict:
    import openpyxl  # noqa: F401 (loaded before the memory is measured, as in a server after one export)
    from flask_babel import force_locale

    from courses.office.progress_export import EXPORT_COLUMNS
    from courses.office.reports import STATE_LABELS
    from dashboard import figures, reports
    from lms.exports import stream_xlsx
    from lms.extensions import db

    app = _app(url, folder)
    with app.app_context(), app.test_request_context():
        titles = figures.course_titles(db.session, slugs, LOCALE)
        slug_of = {title: slug for slug, title in titles.items()}
        with force_locale(LOCALE):
            header = reports.people_header()
            state_of = {str(label): state for state, label in STATE_LABELS.items()}
        column = 1 + [key for key, _label in EXPORT_COLUMNS].index("state")
        db.session.remove()
        rss_before = _status_mb("VmRSS")
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM, the peak resident set, to the current one
        times = []
        for n in range(runs + 1):
            counts: Counter = Counter()

            def counted(records, counts=counts):
                for record in records:
                    counts[(slug_of[record[0]], state_of[record[column]])] += 1
                    yield record

            start = time.perf_counter()
            records = reports.people_records(db.session, titles, figures.DashboardFilters(), LOCALE)
            size = sum(len(chunk) for chunk in stream_xlsx("Completion report", header, counted(records)))
            if n:
                times.append(time.perf_counter() - start)
            db.session.remove()
        return {
            "ms": round(statistics.median(times) * 1000),
            "counts": dict(counts),
            "bytes": size,
            "rss_before_mb": rss_before,
            "peak_rss_mb": _status_mb("VmHWM"),
        }
