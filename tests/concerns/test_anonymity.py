"""Anonymous means anonymous: a report leaves no address, browser, account or exact time anywhere.

The reporter here is signed in (as a learner), from a distinctive address with a distinctive
browser; after reporting, following up and answering, every value of every table and every log
line is searched for them.
"""

import base64
import logging
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import select

from concerns.log_rules import DropReportingRequests
from concerns.models import Case, CaseEvent, CaseMessage
from lms.extensions import db
from lms.models import AuditEvent, UserSession
from tests.concerns.helpers import report_through_form

ADDRESS = "203.0.113.77"
BROWSER = "ZebraBrowser/9.87 (distinctive reporter agent)"


def _every_value() -> dict[str, list[str]]:
    """Every row of every table, as text."""
    values = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        values[table.name] = [" | ".join(str(v) for v in row) for row in rows]
    return values


def test_an_anonymous_report_leaves_no_trace_of_who_sent_it(client, auth, make, caplog):
    person = make.user(email="secret.reporter@example.kz", full_name="Secret Reporter")
    client.environ_base["REMOTE_ADDR"] = "198.51.100.5"  # the sign-in's own address, recorded as usual
    auth.login(person)
    before = _every_value()
    session_seen = db.session.scalar(select(UserSession.last_seen_at))
    audit_count = len(before["audit_event"])
    caplog.set_level(logging.DEBUG)

    client.environ_base.update({"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": BROWSER})
    page = client.get("/report")
    assert b"secret.reporter" not in page.data and b"Secret Reporter" not in page.data  # not even shown
    number, code = report_through_form(client)
    client.post("/report/follow-up", data={"number": number, "code": code})
    client.post("/report/follow-up", data={"number": number, "code": code, "text": "More details"})
    client.post("/report/follow-up", data={"number": number, "code": "WRONG-CODE"})

    db.session.expire_all()
    after = _every_value()
    everything = "\n".join(line for lines in after.values() for line in lines)
    new_rows = "\n".join(line for name, lines in after.items() for line in lines if line not in before[name])
    for trace in (ADDRESS, BROWSER, "ZebraBrowser"):
        assert trace not in everything, trace
    for trace in (ADDRESS, BROWSER, "ZebraBrowser", person.email, person.full_name, f"'user_id': {person.id}"):
        assert trace not in new_rows, trace
        assert trace not in caplog.text, trace
    # Nothing outside the case's own tables changed: no audit event, no sign-in touched.
    changed = {name for name in after if sorted(after[name]) != sorted(before[name])}
    assert changed <= {"concern_case", "case_event", "case_message", "case_statistic"}, changed
    assert len(after["audit_event"]) == audit_count
    assert db.session.scalar(select(UserSession.last_seen_at)) == session_seen
    # No person on any of its rows, and times only to the day.
    case = db.session.scalar(select(Case))
    assert case.anonymous
    assert all(m.author_id is None for m in db.session.scalars(select(CaseMessage)))
    events = db.session.scalars(select(CaseEvent)).all()
    assert {e.action for e in events} == {"filed", "reporter_read", "reporter_message"}
    assert all(e.actor_id is None and (e.at.hour, e.at.minute, e.at.second) == (0, 0, 0) for e in events)
    # The encrypted report does not carry the time it was made (Fernet tokens would, to the second).
    assert base64.urlsafe_b64decode(case.report)[1:9] == bytes(8)  # version byte, then the time: zero
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.ip == ADDRESS)) is None


def test_the_reporting_pages_load_nothing_from_elsewhere(client):
    for url in ("/report", "/report/follow-up", "/report/privacy"):
        page = client.get(url).get_data(as_text=True)
        for attribute in ('src="http', 'src="//', 'href="//', "googletagmanager", "analytics"):
            assert attribute not in page, (url, attribute)
        assert "https://" not in page.split("<footer")[0], url


def test_the_development_server_log_drops_reporting_requests():
    keep = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        "",
        0,
        '%s - - [%s] "%s" %s %s',
        (ADDRESS, "x", "GET /login HTTP/1.1", "200", "-"),
        None,
    )
    drop = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        "",
        0,
        '%s - - [%s] "%s" %s %s',
        (ADDRESS, "x", "POST /report/follow-up HTTP/1.1", "200", "-"),
        None,
    )
    assert DropReportingRequests().filter(keep) and not DropReportingRequests().filter(drop)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get_when_up(url: str, headers: dict, seconds: float = 60) -> None:
    """GET ``url`` once the server answers (gunicorn starts slowly on a busy machine)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_gunicorns_access_log_keeps_no_address_browser_or_time_for_reports(tmp_path):
    """A real gunicorn with deploy/gunicorn.conf.py: a /report line without who asked, others as before."""
    root = Path(__file__).resolve().parents[2]
    log = tmp_path / "access.log"
    (tmp_path / "tiny_app.py").write_text(
        "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
    )
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(root / "deploy/gunicorn.conf.py")]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", str(log)]
    command += ["--worker-tmp-dir", str(tmp_path), "--chdir", str(tmp_path), "tiny_app:app"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        headers = {"User-Agent": BROWSER, "X-Forwarded-For": ADDRESS}
        for path in ("/report/follow-up", "/login"):
            _get_when_up(f"http://127.0.0.1:{port}{path}", headers)
    finally:
        process.terminate()
        process.wait(30)  # gunicorn flushes its access log on the way out
    report_line, login_line = log.read_text().splitlines()[:2]
    assert "/report/follow-up" in report_line and ADDRESS not in report_line and "Zebra" not in report_line
    assert "[" not in report_line  # no time either
    assert ADDRESS in login_line and "Zebra" in login_line
    assert runpy.run_path(str(root / "deploy/gunicorn.conf.py"))["logger_class"].__name__ == "AdalLogger"
