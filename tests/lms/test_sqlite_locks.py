"""SQLite under load: gunicorn with 4 workers, the scheduler, learners submitting quizzes and an
officer exporting, all at once on one database file: no "database is locked" anywhere, every
submission stored, every run of an every-minute cron step written."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from croniter import croniter
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from campaigns.lifecycle import schedule_campaign
from campaigns.models import CampaignSkippedRun, StepTiming
from courses.models import QuizAttempt
from lms.leases import SCHEDULER_LEASE, lease_status
from lms.models import OutboxMessage, Role, User
from tests.campaigns.helpers import make_campaign
from tests.courses.builders import answer_form, build_course, enrol, module_of
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
LOAD_SECONDS = 18
LEARNERS = 10
AUDIENCE = 1500
#: The scheduler's clock runs this many times faster than the real one (an every-minute rule
#: fires every 6 real seconds) and its campaign job runs every real second (10 simulated).
SPEED = 10.0

pytestmark = pytest.mark.skipif(
    (os.environ.get("ADAL_TEST_DATABASE_URL") or "").startswith("postgres"), reason="the embedded default: SQLite"
)

FAST_SCHEDULER = """
import os, time
from datetime import UTC, datetime

T0, SPEED = float(os.environ["ADAL_TEST_T0"]), float(os.environ["ADAL_TEST_SPEED"])
import campaigns.jobs
campaigns.jobs.utcnow = lambda: datetime.fromtimestamp(T0 + (time.time() - T0) * SPEED, UTC)

from lms import create_app
from lms.scheduler import Job, build_scheduler, run_until_stopped

app = create_app()
app.extensions["adal.jobs"] = [
    Job(j.id, j.func, 1 if j.id == "campaigns.run" else j.seconds, j.leader_only) for j in app.extensions["adal.jobs"]
]
run_until_stopped(build_scheduler(app))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A visitor with cookies and the CSRF token of their session; redirects are not followed."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )
        self.token = ""

    def request(self, path: str, data: dict | None = None) -> tuple[int, dict, bytes]:
        body = None
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrf_token": self.token}, doseq=True).encode()
        try:
            with self.opener.open(self.base + path, body, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def login(self, email: str) -> None:
        _status, _headers, page = self.request("/login")
        self.token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        status, _headers, _page = self.request("/login", {"email": email, "password": PASSWORD})
        assert status == 302, status


def _learner(base, engine, email, enrolment_id, module_id, deadline, outcome) -> None:
    browser = Browser(base)
    browser.login(email)
    while time.monotonic() < deadline:
        status, headers, _ = browser.request(f"/learning/{enrolment_id}/modules/{module_id}/start", {})
        outcome["statuses"].append(status)
        if status != 302:
            continue
        attempt_id = int(headers["Location"].rstrip("/").rsplit("/", 1)[1])
        with Session(engine) as session:
            answers = answer_form(session, session.get(QuizAttempt, attempt_id), correct=False)
        status, _headers, _ = browser.request(f"/learning/{enrolment_id}/attempts/{attempt_id}", answers)
        outcome["statuses"].append(status)
        if status == 302:
            outcome["submitted"].append(attempt_id)


def _officer(base, email, slug, deadline, outcome) -> None:
    browser = Browser(base)
    browser.login(email)
    while time.monotonic() < deadline:
        status, _headers, body = browser.request(f"/office/courses/progress/{slug}/export.csv")
        outcome["statuses"].append(status)
        if status == 200 and body.startswith("\ufeff".encode()):
            outcome["exports"] += 1


def _holds_the_lease(session, pid: int) -> bool:
    session.rollback()
    status = lease_status(session, SCHEDULER_LEASE)
    return status is not None and status.valid() and status.holder.split(":")[1] == str(pid)


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> str:
    process.send_signal(sig)
    try:
        _out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
    return err


def test_web_workers_scheduler_and_learners_at_once_lock_nothing_and_miss_no_run(app, db, make, database_url):
    course = build_course(db.session, lessons=0)
    module = module_of(course, "quiz")
    learners = []
    for _ in range(LEARNERS):
        person = make.user()
        learners.append((person.email, enrol(db.session, person, course).id, module.id))
    office = (make.user(roles=[Role.OFFICER]).email, course.slug)
    # An audience larger than a fetch of recipients (1,000): the job reads and writes in turns.
    db.session.execute(
        insert(User),
        [
            {"email": f"reader{n}@example.kz", "full_name": f"Reader {n}", "kind": "staff", "locale": "ru"}
            for n in range(AUDIENCE)
        ],
    )
    db.session.commit()
    campaign = make_campaign(db.session, steps=[{"timing": StepTiming.CRON, "cron": "* * * * *"}])
    t0 = time.time()

    def simulated_now() -> datetime:
        return datetime.fromtimestamp(t0 + (time.time() - t0) * SPEED, UTC)

    port = _free_port()
    env = os.environ | {
        "ADAL_DATABASE_URL": database_url,
        "ADAL_SECRET_KEY": "test-secret",
        "ADAL_LOGIN_LIMIT": "1000 per minute",
        "ADAL_TWO_FACTOR_REQUIRED": "0",  # the officer signs in with a password, as in the other tests
        "ADAL_TEST_T0": str(t0),
        "ADAL_TEST_SPEED": str(SPEED),
    }
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "4", "-b", f"127.0.0.1:{port}", "--error-logfile", "-", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    scheduler = subprocess.Popen(
        [sys.executable, "-c", FAST_SCHEDULER],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    logs = {}
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60  # five processes starting on two busy cores
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=5).read()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        while not _holds_the_lease(db.session, scheduler.pid):
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.2)
        schedule_campaign(db.session, campaign, simulated_now())
        db.session.commit()
        first_run = campaign.steps[0].next_run_at.replace(tzinfo=UTC)
        learned = {"statuses": [], "submitted": []}
        exported = {"statuses": [], "exports": 0}
        load_deadline = time.monotonic() + LOAD_SECONDS
        threads = [
            threading.Thread(target=_learner, args=(base, db.engine, *learner, load_deadline, learned))
            for learner in learners
        ]
        threads.append(threading.Thread(target=_officer, args=(base, *office, load_deadline, exported)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=LOAD_SECONDS + 60)
        scheduled_until = simulated_now()
    finally:
        logs["scheduler"] = _stop(scheduler, signal.SIGINT)
        logs["web"] = _stop(web)

    for name, text in logs.items():
        assert "database is locked" not in text, f"{name}:\n{text[-3000:]}"
        assert "Traceback" not in text, f"{name}:\n{text[-3000:]}"
    assert set(learned["statuses"]) == {302}, learned["statuses"]
    assert set(exported["statuses"]) == {200} and exported["exports"] > 0
    stored = db.session.scalar(select(func.count(QuizAttempt.id)).where(QuizAttempt.submitted_at.is_not(None)))
    assert len(learned["submitted"]) > 50 and stored == len(learned["submitted"])

    # Every minute from the first run until 30 simulated seconds (3 real) before the end was written.
    minutes = croniter("* * * * *", first_run - timedelta(seconds=1))
    expected = []
    while (minute := minutes.get_next(datetime)) <= scheduled_until - timedelta(seconds=30):
        expected.append(minute.astimezone(UTC).strftime("%Y%m%dT%H%M"))
    written = {key.split(":")[2] for key in db.session.scalars(select(OutboxMessage.dedup_key))}
    assert len(expected) >= 2
    assert set(expected) <= written
    assert db.session.scalars(select(CampaignSkippedRun)).all() == []
