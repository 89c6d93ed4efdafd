"""Adal under load as production runs it: gunicorn with ``deploy/gunicorn.conf.py`` on PostgreSQL.

Run it::

    ADAL_BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench load [--quick] [--json]

(``ADAL_TEST_DATABASE_URL`` serves too.) The benchmark creates a database of its own on that server,
makes the schema with the migrations, fills it with the dashboard benchmark's university
(``tests.dashboard.university``: 50,000 people, 8 courses, 300,000 enrolments; ``--quick``: 2,000
and 2) whose lessons carry a real lesson of the bundled academic-integrity course, and drops it
afterwards. Rate limits go to Redis (``ADAL_REDIS_URL``, else ``redis://127.0.0.1:6379/15``) when
it answers, else to each worker's memory, as Adal does; ``redis`` in the figures says which.

The server is gunicorn exactly as ``deploy/`` starts it (2 workers × 4 threads by default), behind
no proxy but spoken to as nginx would: each visitor has its own ``X-Forwarded-For`` address and
``X-Forwarded-Proto: https`` (``ADAL_PROXY_HOPS=1``, an https ``ADAL_BASE_URL``, secure cookies).
The load comes from this process: one thread and one keep-alive connection per visitor, a bounded
script doing what locust would, without a dependency that monkey-patches the standard library.
The load generator shares the machine's two cores with the server: ``client_cpu_share`` says how
much of one core it used.

Three runs:

- *users*: 50 visitors at once for the run's length (arriving 10 a second), each pausing between
  clicks as a person does (learners 1–5 s, officers 5–15 s: locust's ``between``). 45 are learners:
  each signs in as a person with a course in progress, opens My learning, the course, its lesson,
  marks it read, opens the quiz, starts it, answers it (at random) and submits, reads the result and
  signs out; then the next person. 5 are officers opening the dashboard, a course's progress page
  and a faculty's page. Figures per kind of request, once all 50 have arrived: p50, p95 and p99 in
  milliseconds; ``learner_pages`` are the learners' requests except signing in and submitting;
  ``sign_in`` costs the password hash (scrypt) by design. Targets: no errors, ``learner_pages_p95_ms`` under 100,
  ``quiz_submit_p95_ms`` under 150.
- *My learning at full speed*: 20 signed-in learners asking for My learning with no pause.
- *baseline at full speed*: the same 20 connections asking ``bench.one_row_app`` (one route reading
  one row) under the same gunicorn settings, after Adal's server has stopped. Target:
  ``my_learning_vs_baseline`` at least 0.25.

Each worker's resident memory (now and at its peak) is read from ``/proc`` after Adal's runs; target
under 150 MB. *Where the time goes*: My learning and a quiz submission are made once more in this
process with the test client, counting statements and the time spent in the database and in
rendering templates (``*_sql_ms``, ``*_render_ms``; the rest is Python: routing, loading rows
into objects, the session and the forms). ``signed_in_floor_*``: the same for the profile page, the
least a signed-in page does (the person, the menu, the footer's contacts, the layout).

An error is a refused connection, a status of 400 or more, or a page other than the one a step
expects (a sign-in that does not redirect, a quiz that does not open).
"""

from __future__ import annotations

import http.client
import itertools
import os
import random
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.dashboard import ABSENT, FULL, QUESTIONS, QUICK, _postgresql_env
from tests.databases import own_database

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test horse battery"  # noqa: S105 (the generated people of a throwaway database)
LEARNERS, OFFICERS = 45, 5
SATURATION_CONNECTIONS = 20
#: Seconds: each run's length, and the first part of each discarded while workers warm up.
LENGTH = {"users": 60, "saturation": 20, "warmup": 3}
LENGTH_QUICK = {"users": 20, "saturation": 5, "warmup": 1}
#: Seconds between a visitor's clicks, locust's ``between(1, 5)``: a learner reads and answers, an
#: officer reads a table. Without pauses 50 visitors would be 50 connections at full speed, which the
#: *full speed* run measures on its own.
THINK = {"learner": (1.0, 5.0), "officer": (5.0, 15.0)}
#: Visitors arriving a second (locust's ``--spawn-rate``): 50 sign-ins in the same instant would
#: measure a queue of password hashes, not a morning.
SPAWN_RATE = 10
LESSON = ROOT / "courses" / "bundled" / "academic-integrity" / "buying-grades"
LEARNER_KINDS = ("login_page", "my_learning", "course", "lesson", "mark_read", "quiz_intro")
LEARNER_KINDS += ("quiz_start", "quiz_page", "result", "sign_out")


def run(quick: bool = False) -> dict:
    env = _postgresql_env()
    if env is None:
        raise SystemExit("bench load runs on PostgreSQL: set ADAL_BENCH_DATABASE_URL (or ADAL_TEST_DATABASE_URL).")
    lengths = LENGTH_QUICK if quick else LENGTH
    figures: dict = {"load_average_at_start": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory() as tmp, own_database("adal_bench_load", Path(tmp), env=env) as url:
        folder = Path(tmp)
        redis_url = _redis_url()
        figures["redis"] = int(redis_url is not None)
        cast = _prepare(url, folder, QUICK if quick else FULL)
        figures |= {"people": cast["people"], "enrolments": cast["enrolments"]}
        figures |= _where_time_goes(url, folder, cast)
        environment = _server_environment(url, folder, redis_url)
        with _gunicorn("app:app", environment, folder / "adal.log") as server:
            figures |= _worker_memory("worker_at_start", server.process.pid)
            figures |= _users_run(server.port, cast, lengths)
            figures |= _saturation("my_learning", server.port, cast, lengths)
            figures |= _worker_memory("worker", server.process.pid)
        with _gunicorn("bench.one_row_app:app", environment, folder / "baseline.log") as server:
            figures |= _saturation("baseline", server.port, None, lengths)
            figures |= _worker_memory("baseline_worker", server.process.pid)
    figures["my_learning_vs_baseline"] = round(figures["my_learning_rps"] / figures["baseline_rps"], 3)
    figures["load_average_at_end"] = round(os.getloadavg()[0], 2)
    return figures


# The data -----------------------------------------------------------------------------------------


#: The key of the TOTP secrets, the same for the seeding app and the server.
TOTP_KEY = secrets.token_hex(32)


def _app(url: str, folder: Path):
    from lms import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "ADAL_STORAGE_PATH": str(folder / "storage"),
            "ADAL_TOTP_KEY": TOTP_KEY,
        }
    )


def _prepare(url: str, folder: Path, size: dict) -> dict:
    """The schema by the migrations, the university, passwords for the cast; who plays whom."""
    from flask_migrate import upgrade
    from sqlalchemy import select, text, update
    from werkzeug.security import generate_password_hash

    from courses.models import Course, Enrolment, EnrolmentStatus, Module, ModuleKind
    from lms.database import utcnow
    from lms.extensions import db
    from lms.models import Role, User, UserRole
    from tests.dashboard.university import generate

    app = _app(url, folder)
    with app.app_context():
        upgrade()
        session = db.session
        uni = generate(session, **size, seed=13, now=utcnow(), attempts=True, absent=ABSENT, questions=QUESTIONS)
        lesson = {locale: (LESSON.with_suffix(f".{locale}.md")).read_text() for locale in ("kk", "ru", "en")}
        session.execute(update(Module).where(Module.kind == ModuleKind.LESSON).values(body=lesson))
        course = session.scalar(select(Course).where(Course.slug == uni.slugs[0]))
        modules = {m.kind: m.id for m in course.modules}
        open_enrolments = session.execute(
            select(Enrolment.id, User.id, User.email)
            .join(User, User.id == Enrolment.user_id)
            .where(
                Enrolment.course_id == course.id,
                Enrolment.status.in_((EnrolmentStatus.NOT_STARTED, EnrolmentStatus.IN_PROGRESS)),
                User.active,
            )
            .order_by(Enrolment.id)
            .limit(3000)
        ).all()
        officer_ids = []
        for n in range(OFFICERS):
            officer = User(email=f"officer{n}@bench.example", full_name=f"Officer {n}", locale="ru", active=True)
            session.add(officer)
            session.flush()
            session.add(UserRole(user_id=officer.id, role=Role.OFFICER))
            officer_ids.append(officer.id)
        session.flush()
        secrets_of = _enrol_officers(session, officer_ids)
        password_hash = generate_password_hash(PASSWORD)
        user_ids = [row[1] for row in open_enrolments] + officer_ids
        session.execute(update(User).where(User.id.in_(user_ids)).values(password_hash=password_hash))
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()
        cast = {
            "people": uni.people,
            "enrolments": uni.enrolments,
            "learners": [(email, eid) for eid, _uid, email in open_enrolments],
            "officers": [(f"officer{n}@bench.example", secrets_of[uid]) for n, uid in enumerate(officer_ids)],
            "slug": course.slug,
            "lesson": modules[ModuleKind.LESSON],
            "quiz": modules[ModuleKind.QUIZ],
            "faculty": uni.faculties[0].id,
        }
        session.remove()
        db.engine.dispose()
    random.Random(5).shuffle(cast["learners"])
    return cast


def _enrol_officers(session, officer_ids: list[int]) -> dict[int, str]:
    """The office's second factor, as production requires it: each officer's TOTP secret, confirmed
    with a code of two minutes ago so that the first sign-in's code is a later one (never a replay)."""
    from datetime import timedelta

    import pyotp

    from lms.database import utcnow
    from lms.models import User
    from lms.two_factor import authenticator

    earlier = utcnow() - timedelta(minutes=2)
    secrets_of = {}
    for user_id in officer_ids:
        officer = session.get(User, user_id)
        secret = authenticator.pending_secret(session, officer)
        authenticator.confirm_enrolment(session, officer, pyotp.TOTP(secret).at(earlier), now=earlier)
        secrets_of[user_id] = secret
    return secrets_of


def _redis_url() -> str | None:
    """Redis for the rate limits when it answers, as production has it."""
    import redis

    url = os.environ.get("ADAL_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


# The server ---------------------------------------------------------------------------------------


def _server_environment(url: str, folder: Path, redis_url: str | None) -> dict:
    environment = os.environ | {
        "ADAL_DATABASE_URL": url,
        "ADAL_SECRET_KEY": secrets.token_hex(32),
        "ADAL_BASE_URL": "https://adal.bench.example",
        "ADAL_PROXY_HOPS": "1",
        "ADAL_STORAGE_PATH": str(folder / "storage"),
        "ADAL_TOTP_KEY": TOTP_KEY,
    }
    if redis_url:
        environment["ADAL_REDIS_URL"] = redis_url
    return environment


class _Server:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port


class _gunicorn:
    """gunicorn with the deploy configuration serving ``target`` on a free port; SIGTERM on exit."""

    def __init__(self, target: str, environment: dict, log: Path):
        self.target, self.environment, self.log = target, environment, log

    def __enter__(self) -> _Server:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.output = self.log.open("w")
        command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", self.target]
        environment = self.environment | {"ADAL_WEB_BIND": f"127.0.0.1:{port}"}
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=self.output, stderr=self.output)
        started = time.monotonic()
        while True:
            if self.process.poll() is not None or time.monotonic() - started > 60:
                raise RuntimeError(f"gunicorn did not start; see its log:\n{self.log.read_text()[-3000:]}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz" if self.target == "app:app" else "/one-row")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        _wait_for_workers(self.process.pid, int(self.environment.get("ADAL_WEB_WORKERS", "2")))
        return _Server(self.process, port)

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        self.output.close()


def _workers(master: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            children.append(int(stat.parent.name))
    return sorted(children)


def _wait_for_workers(master: int, count: int) -> None:
    """Every worker has built its app (their memory is what we read, not a fork's)."""
    deadline = time.monotonic() + 60
    while len(_workers(master)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)


def _worker_memory(name: str, master: int) -> dict:
    """Each worker's resident set now and at its peak, in MB, from /proc."""
    figures = {}
    for n, pid in enumerate(_workers(master), start=1):
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
        )
        figures[f"{name}_{n}_rss_mb"] = round(int(status["VmRSS"].split()[0]) / 1024, 1)
        if not name.endswith("at_start"):
            figures[f"{name}_{n}_peak_rss_mb"] = round(int(status["VmHWM"].split()[0]) / 1024, 1)
    return figures


# The visitors -------------------------------------------------------------------------------------


class _Fields(HTMLParser):
    """A page's form fields: the fixed ones, and the choices of each radio or checkbox group."""

    def __init__(self, page: str):
        super().__init__()
        self.fixed: dict[str, str] = {}
        self.choices: dict[str, list[str]] = defaultdict(list)
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag != "input" or not name:
            return
        kind = attributes.get("type", "text")
        if kind in ("radio", "checkbox"):
            self.choices[name].append(attributes.get("value", "on"))
        elif kind != "submit":
            self.fixed.setdefault(name, attributes.get("value") or "")


class _Error(Exception):
    pass


class _Visitor:
    """One browser: a keep-alive connection, its cookies and the address nginx would forward."""

    def __init__(self, port: int, address: str, log: list, stop_at: float, think: tuple = THINK["learner"]):
        self.port, self.address, self.log, self.stop_at, self.pause = port, address, log, stop_at, think
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, kind: str, method: str, path: str, form: dict | None = None, expect: int = 200):
        """Make one request and log its time; ``_Error`` when the answer is not the expected one."""
        headers = {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https", "User-Agent": "adal-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1:{self.port}{path}"  # Flask-WTF checks it on https
        started = time.perf_counter()
        try:
            status, location, page = self._send(method, path, body, headers)
        except OSError as error:
            self.log.append((kind, started, (time.perf_counter() - started) * 1000, False))
            raise _Error(f"{kind}: {error}") from error
        ok = status == expect
        self.log.append((kind, started, (time.perf_counter() - started) * 1000, ok))
        if not ok:
            raise _Error(f"{kind}: {method} {path} answered {status} {location or ''}")
        return location, page

    def _send(self, method, path, body, headers):
        for retry in (False, True):
            try:
                self.connection.request(method, path, body, headers)
                response = self.connection.getresponse()
                page = response.read().decode()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # gunicorn closed an idle keep-alive connection
                if retry:
                    raise
        for header in response.msg.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel["expires"] and "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        location = response.getheader("Location")
        return response.status, (urlsplit(location).path if location else None), page

    def think(self) -> None:
        time.sleep(random.uniform(*self.pause))
        if time.monotonic() > self.stop_at:
            raise _Stop

    def sign_in(self, email: str, totp_secret: str | None = None) -> None:
        """The password, then for the office the code of its authenticator app."""
        _location, page = self.request("login_page", "GET", "/login")
        token = _Fields(page).fixed["csrf_token"]
        form = {"email": email, "password": PASSWORD, "csrf_token": token}
        target, _page = self.request("sign_in", "POST", "/login", form, 302)
        if totp_secret is not None:
            import pyotp

            if target != "/login/code":
                raise _Error(f"sign_in: an officer sent to {target}, not to the code")
            _location, page = self.request("second_factor", "GET", target)
            form = {"code": pyotp.TOTP(totp_secret).now(), "csrf_token": _Fields(page).fixed["csrf_token"]}
            self.request("second_factor", "POST", target, form, 302)
        self.cookies.pop("remember_token", None)


class _Stop(Exception):
    pass


def _learner_journey(visitor: _Visitor, email: str, enrolment: int, cast: dict) -> None:
    """Sign in, My learning, the course, its lesson, the quiz, the result, sign out."""
    visitor.cookies.clear()
    visitor.sign_in(email)
    visitor.think()
    _location, page = visitor.request("my_learning", "GET", "/learning")
    if f"/learning/{enrolment}" not in page:
        visitor.log.append(("my_learning", time.perf_counter(), 0.0, False))
        raise _Error(f"my_learning: no link to enrolment {enrolment}")
    visitor.think()
    _lesson_path, _page = visitor.request("course", "GET", f"/learning/{enrolment}", expect=302)
    _location, page = visitor.request("lesson", "GET", f"/learning/{enrolment}/modules/{cast['lesson']}")
    token = _Fields(page).fixed["csrf_token"]
    visitor.think()
    read = f"/learning/{enrolment}/modules/{cast['lesson']}/read"
    quiz_path, _page = visitor.request("mark_read", "POST", read, {"csrf_token": token}, 302)
    visitor.request("quiz_intro", "GET", quiz_path)
    visitor.think()
    start = f"/learning/{enrolment}/modules/{cast['quiz']}/start"
    attempt_path, _page = visitor.request("quiz_start", "POST", start, {"csrf_token": token}, 302)
    if "/attempts/" not in (attempt_path or ""):
        raise _Error(f"quiz_start: sent to {attempt_path}")
    _location, page = visitor.request("quiz_page", "GET", attempt_path)
    fields = _Fields(page)
    answers = {"csrf_token": token} | {name: random.choice(values) for name, values in fields.choices.items()}
    visitor.think()
    result_path, _page = visitor.request("quiz_submit", "POST", attempt_path, answers, 302)
    visitor.request("result", "GET", result_path)
    visitor.think()
    visitor.request("sign_out", "POST", "/logout", {"csrf_token": token}, 302)


def _officer_round(visitor: _Visitor, cast: dict) -> None:
    for kind, path in (
        ("dashboard", "/office/dashboard/"),
        ("course_progress", f"/office/courses/progress/{cast['slug']}"),
        ("faculty_page", f"/office/dashboard/units/{cast['faculty']}"),
    ):
        visitor.request(kind, "GET", path)
        visitor.think()


def _users_run(port: int, cast: dict, lengths: dict) -> dict:
    """50 visitors with a person's pauses: learners' journeys one after another, officers' rounds."""
    log: list = []
    learners = itertools.cycle(cast["learners"])
    lock = threading.Lock()
    stop_at = time.monotonic() + lengths["users"]
    problems: list[str] = []
    journeys = [0]

    def learner(n: int) -> None:
        time.sleep(n / SPAWN_RATE)
        visitor = _Visitor(port, f"10.1.{n}.1", log, stop_at)
        while time.monotonic() < stop_at:
            with lock:
                email, enrolment = next(learners)
            visitor.address = f"10.{2 + journeys[0] // 250}.{journeys[0] % 250}.{n}"  # a person, a browser
            try:
                _learner_journey(visitor, email, enrolment, cast)
                with lock:
                    journeys[0] += 1
            except _Stop:
                return
            except _Error as error:
                problems.append(str(error))
                visitor.connection.close()

    def officer(n: int) -> None:
        time.sleep((LEARNERS + n) / SPAWN_RATE)
        visitor = _Visitor(port, f"10.0.0.{n + 1}", log, stop_at, THINK["officer"])
        visitor.sign_in(*cast["officers"][n])
        while True:
            try:
                _officer_round(visitor, cast)
            except _Stop:
                return
            except _Error as error:
                problems.append(str(error))

    threads = [threading.Thread(target=learner, args=(n,)) for n in range(LEARNERS)]
    threads += [threading.Thread(target=officer, args=(n,)) for n in range(OFFICERS)]
    cpu_before, started = _cpu_seconds(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    # Timings once everyone has arrived (the arrivals are a queue of password hashes); errors of all.
    arrival = (LEARNERS + OFFICERS) / SPAWN_RATE
    steady = [entry for entry in log if entry[1] >= started + arrival]
    figures = {
        "users": LEARNERS + OFFICERS,
        "users_run_s": round(elapsed, 1),
        "users_requests": len(log),
        "users_errors": sum(1 for entry in log if not entry[3]),
        "users_steady_rps": round(len(steady) / (elapsed - arrival), 1),
        "learner_journeys": journeys[0],
        "client_cpu_share": round((_cpu_seconds() - cpu_before) / elapsed, 3),
    }
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, _started, ms, _ok in steady:
        by_kind[kind].append(ms)
    by_kind["learner_pages"] = [ms for kind in LEARNER_KINDS for ms in by_kind.get(kind, ())]
    by_kind["officer_pages"] = [ms for kind in ("dashboard", "course_progress", "faculty_page") for ms in by_kind[kind]]
    for kind in ("learner_pages", "sign_in", "quiz_submit", "my_learning", "lesson", "officer_pages", "dashboard"):
        figures |= _percentiles(kind, by_kind[kind])
    if problems:
        print(f"{len(problems)} errors, the first: {problems[:3]}", file=sys.stderr)
    return figures


def _saturation(name: str, port: int, cast: dict | None, lengths: dict) -> dict:
    """20 connections asking for one page with no pause: the requests a second the server gives."""
    log: list = []
    started = time.monotonic()
    measure_from = time.perf_counter() + lengths["warmup"]
    stop_at = started + lengths["warmup"] + lengths["saturation"]
    ready = threading.Barrier(SATURATION_CONNECTIONS)

    def connection(n: int) -> None:
        visitor = _Visitor(port, f"10.200.0.{n + 1}", log, stop_at)
        if cast is not None:
            email, _enrolment = cast["learners"][-(n + 1)]  # people the users' run did not reach
            visitor.sign_in(email)
        ready.wait()
        path = "/learning" if cast is not None else "/one-row"
        while time.monotonic() < stop_at:
            try:
                visitor.request(name, "GET", path)
            except _Error:
                visitor.connection.close()

    threads = [threading.Thread(target=connection, args=(n,)) for n in range(SATURATION_CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counted = [entry for entry in log if entry[0] == name and entry[1] >= measure_from]
    window = max(entry[1] + entry[2] / 1000 for entry in counted) - measure_from
    figures = {
        f"{name}_rps": round(len(counted) / window, 1),
        f"{name}_errors": sum(1 for entry in counted if not entry[3]),
    }
    return figures | _percentiles(name, [entry[2] for entry in counted], suffix="_full_speed" if cast else "")


def _percentiles(name: str, values: list[float], suffix: str = "") -> dict:
    if len(values) < 2:
        return {f"{name}{suffix}_count": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        f"{name}{suffix}_count": len(values),
        f"{name}{suffix}_p50_ms": round(cuts[49], 1),
        f"{name}{suffix}_p95_ms": round(cuts[94], 1),
        f"{name}{suffix}_p99_ms": round(cuts[98], 1),
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# Where the time goes ------------------------------------------------------------------------------


def _where_time_goes(url: str, folder: Path, cast: dict) -> dict:
    """My learning and a quiz submission in this process: statements, database time, rendering time."""
    from flask import before_render_template, template_rendered
    from sqlalchemy import event

    from lms.extensions import db

    app = _app(url, folder)
    app.config.update(WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
    spent = defaultdict(float)
    marks: dict = {}

    def before_cursor(*_args):
        marks["sql"] = time.perf_counter()

    def after_cursor(*_args):
        spent["sql_ms"] += (time.perf_counter() - marks["sql"]) * 1000
        spent["statements"] += 1

    def before_render(*_args, **_kwargs):
        marks["render"] = time.perf_counter()

    def rendered(*_args, **_kwargs):
        spent["render_ms"] += (time.perf_counter() - marks["render"]) * 1000

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before_cursor)
    event.listen(engine, "after_cursor_execute", after_cursor)
    before_render_template.connect(before_render, app)
    template_rendered.connect(rendered, app)
    figures: dict = {}

    def measure(name: str, call, runs: int = 1) -> None:
        samples = []
        for _ in range(runs):
            spent.clear()
            started = time.perf_counter()
            response = call()
            assert response.status_code in (200, 302), (name, response.status_code)
            samples.append(((time.perf_counter() - started) * 1000, dict(spent)))
        total, parts = sorted(samples, key=lambda sample: sample[0])[len(samples) // 2]
        figures[f"{name}_in_process_ms"] = round(total, 1)
        figures[f"{name}_statements"] = int(parts.get("statements", 0))
        figures[f"{name}_sql_ms"] = round(parts.get("sql_ms", 0.0), 1)
        figures[f"{name}_render_ms"] = round(parts.get("render_ms", 0.0), 1)

    # Each request in its own app context, so its own database session, as under gunicorn.
    client = app.test_client()
    email, enrolment = cast["learners"][len(cast["learners"]) // 2]
    client.post("/login", data={"email": email, "password": PASSWORD})
    client.get("/learning")  # warm: templates compiled, the pool connected
    measure("my_learning", lambda: client.get("/learning"), runs=21)
    measure("signed_in_floor", lambda: client.get("/profile"), runs=21)  # what every page pays
    started = client.post(f"/learning/{enrolment}/modules/{cast['quiz']}/start")
    attempt_path = urlsplit(started.headers["Location"]).path
    choices = _Fields(client.get(attempt_path).get_data(as_text=True)).choices
    answers = {name: values[0] for name, values in choices.items()}
    measure("quiz_submit", lambda: client.post(attempt_path, data=answers))
    engine.dispose()
    return figures
