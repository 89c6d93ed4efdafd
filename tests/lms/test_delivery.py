"""Delivery of the outbox against a real SMTP server: once each, retries, failures, crashes, the mailbox."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, update

from lms.database import as_utc, utcnow
from lms.mail.delivery import DeliverySettings, build_message, claim_due, clean_header_value, deliver_outbox
from lms.models import OutboxMessage, OutboxStatus, Role
from lms.scheduler import registered_jobs
from tests.lms.smtp_server import SmtpBehaviour, SmtpServer

ROOT = Path(__file__).resolve().parents[2]


SUBJECT = "Напоминание №{i}: «Адалдық» курсы — ә ғ қ ң ө ұ ү һ і"
LONG_HTML = "<p>" + " ".join(f"Сәлем әлем {n}" for n in range(800)) + "</p>"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def settings_for(server: SmtpServer | None, **changes) -> DeliverySettings:
    values = {
        "smtp_url": server.url if server else "",
        "mail_from": "Адал <compliance@metu.kz>",
        "retry_seconds": 0.0,
        "lease_seconds": 60.0,
        "timeout": 10.0,
    }
    values.update(changes)
    return DeliverySettings(**values)


def queue(db, count: int, start: int = 0, **fields) -> list[str]:
    """Write ``count`` outbox rows in one statement; returns their addresses."""
    run = uuid.uuid4().hex[:8]
    rows = [
        {
            "dedup_key": f"test:{run}:{i}",
            "message_id": f"<{run}.{i}@metu.kz>",
            "category": "awareness",
            "to_addr": f"r{i}@example.kz",
            "subject": SUBJECT.format(i=i),
            "body_text": f"Сәлеметсіз бе, {i}!\nКурсты аяқтаңыз.",
            "body_html": LONG_HTML,
            "headers": {
                "List-Unsubscribe": f"<https://adal.test/u/{i}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            "status": OutboxStatus.QUEUED,
            "attempts": 0,
            "created_at": utcnow(),
            "next_attempt_at": utcnow() - timedelta(seconds=1),
        }
        | fields
        for i in range(start, start + count)
    ]
    db.session.execute(insert(OutboxMessage), rows)
    db.session.commit()
    return [r["to_addr"] for r in rows]


def statuses(db) -> Counter:
    db.session.expire_all()
    return Counter(
        dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    )


def row_for(db, address: str) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == address)).one()


def test_500_messages_arrive_once_each_with_valid_headers(db, smtp):
    addresses = queue(db, 500)
    report = deliver_outbox(db.session, settings_for(smtp))
    assert report.sent == 500
    assert statuses(db) == {OutboxStatus.SENT: 500}
    assert Counter(r.recipients[0] for r in smtp.received) == Counter(addresses)
    ids = dict(db.session.execute(select(OutboxMessage.to_addr, OutboxMessage.message_id)).all())
    for received in smtp.received:
        assert max(len(line) for line in received.data.split(b"\r\n")) <= 78
        message = received.message
        number = int(received.recipients[0][1:].split("@")[0])
        assert not message.defects
        assert message["Subject"] == SUBJECT.format(i=number)
        assert message["Message-ID"] == ids[received.recipients[0]]
        assert message["To"].addresses[0].addr_spec == received.recipients[0]
        assert message["From"].addresses[0].display_name == "Адал"
        assert message["Date"].datetime is not None
        assert message["List-Unsubscribe"] == f"<https://adal.test/u/{number}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        assert message.get_body(("plain",)).get_content() == f"Сәлеметсіз бе, {number}!\nКурсты аяқтаңыз."
        assert message.get_body(("html",)).get_content() == LONG_HTML
    assert all(as_utc(m.sent_at) is not None for m in db.session.scalars(select(OutboxMessage)))


def test_server_trouble_421_is_retried_until_it_recovers(db, smtp):
    addresses = queue(db, 60)
    smtp.behaviour.tempfail_next = 4
    reports = []
    for _ in range(10):
        reports.append(deliver_outbox(db.session, settings_for(smtp)))
        if statuses(db) == {OutboxStatus.SENT: 60}:
            break
    assert statuses(db) == {OutboxStatus.SENT: 60}
    assert smtp.tempfailed == 4
    assert any("421" in error for report in reports for error in report.errors)
    assert Counter(r.recipients[0] for r in smtp.received) == Counter(addresses)


def test_a_421_counts_no_attempt_and_the_whole_outbox_waits_for_the_server(db, smtp):
    queue(db, 3)
    smtp.behaviour.tempfail_next = 1
    report = deliver_outbox(db.session, settings_for(smtp, retry_seconds=600, outage_max_seconds=900))
    assert (report.sent, report.retried, report.failed, report.deferred) == (0, 0, 0, 3)
    assert report.server_error.startswith("421")
    assert statuses(db) == {OutboxStatus.QUEUED: 3}
    row = row_for(db, "r0@example.kz")
    assert row.attempts == 0
    assert as_utc(row.next_attempt_at) > utcnow() + timedelta(seconds=500)
    assert row.last_error.startswith("421")
    later = deliver_outbox(db.session, settings_for(smtp, retry_seconds=600))
    assert later.waiting and later.sent == 0  # not even a connection before the wait is over
    assert smtp.tempfailed == 1


def test_a_server_that_stops_answering_times_out_and_counts_nothing(db, smtp):
    queue(db, 2)
    smtp.behaviour.delay = 3.0
    started = time.monotonic()
    report = deliver_outbox(db.session, settings_for(smtp, retry_seconds=600, timeout=0.5))
    assert time.monotonic() - started < 2.5  # the timeout holds, the run does not wait for the server
    assert report.sent == 0
    assert report.deferred == 2
    assert "did not answer within 0.5 s" in report.server_error
    assert statuses(db) == {OutboxStatus.QUEUED: 2}
    assert {row.attempts for row in db.session.scalars(select(OutboxMessage))} == {0}


def test_550_marks_only_that_address_failed_with_the_reply(db, smtp):
    queue(db, 10)
    smtp.behaviour.reject = {"r3@example.kz"}
    report = deliver_outbox(db.session, settings_for(smtp))
    assert (report.sent, report.failed) == (9, 1)
    failed = row_for(db, "r3@example.kz")
    assert failed.status == OutboxStatus.FAILED
    assert failed.last_error == "550 5.1.1 <r3@example.kz>: mailbox unavailable"
    assert statuses(db) == {OutboxStatus.SENT: 9, OutboxStatus.FAILED: 1}
    assert "r3@example.kz" not in {r.recipients[0] for r in smtp.received}


def test_450_for_one_address_retries_only_that_one(db, smtp):
    queue(db, 5)
    smtp.behaviour.defer = {"r1@example.kz"}
    report = deliver_outbox(db.session, settings_for(smtp, retry_seconds=30))
    assert (report.sent, report.retried) == (4, 1)
    deferred = row_for(db, "r1@example.kz")
    assert deferred.status == OutboxStatus.QUEUED
    assert deferred.last_error.startswith("450 4.2.1")


def test_too_many_attempts_give_up(db, smtp):
    queue(db, 1, attempts=3)
    smtp.behaviour.defer = {"r0@example.kz"}
    deliver_outbox(db.session, settings_for(smtp, max_attempts=4))
    row = row_for(db, "r0@example.kz")
    assert row.status == OutboxStatus.FAILED
    assert row.last_error.startswith("gave up after 4 attempts: 450")


def test_cr_lf_in_subject_name_or_header_cannot_add_a_header(db, smtp, make):
    person = make.user("eve@example.kz", full_name="Eve\r\nBcc: victim@evil.kz")
    queue(
        db,
        1,
        user_id=person.id,
        to_addr=person.email,
        subject="Hello\r\nBcc: victim@evil.kz\nX-Injected: yes",
        headers={"X-Campaign": "7\r\nBcc: other@evil.kz", "Bad Name:": "x", "To": "boss@evil.kz"},
    )
    queue(db, 1, start=1, to_addr="bad@example.kz\r\nRCPT TO:<victim@evil.kz>")
    report = deliver_outbox(db.session, settings_for(smtp))
    assert (report.sent, report.failed) == (1, 1)
    [received] = smtp.received
    assert received.recipients == ["eve@example.kz"]
    message = received.message
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert message.get_all("To") == ['"Eve Bcc: victim@evil.kz" <eve@example.kz>']
    assert message["To"].addresses[0].addr_spec == "eve@example.kz"
    assert message["Subject"] == "Hello Bcc: victim@evil.kz X-Injected: yes"
    assert message["X-Campaign"] == "7 Bcc: other@evil.kz"
    assert "invalid recipient address" in row_for(db, "bad@example.kz\r\nRCPT TO:<victim@evil.kz>").last_error


def test_a_message_without_html_is_plain_text():
    envelope = build_message(
        mail_from="Adal <a@metu.kz>",
        to_addr="x@example.kz",
        to_name="Әлия Сәрсенова",
        subject="Сәлем",
        body_text="x" * 3000,
        body_html=None,
        message_id="<1@metu.kz>",
    )
    import email
    from email import policy

    message = email.message_from_bytes(envelope.data, policy=policy.default)
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "x" * 3000
    assert str(message["To"]) == "Әлия Сәрсенова <x@example.kz>"


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_subject_is_encoded_into_short_ascii_lines_that_decode_back(text):
    envelope = build_message(
        mail_from="Adal <a@metu.kz>",
        to_addr="x@example.kz",
        to_name=None,
        subject=text,
        body_text="x",
        body_html=None,
        message_id="<1@metu.kz>",
    )
    head = envelope.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    limit = 998 if clean_header_value(text).isascii() else 78  # a long ASCII word cannot be folded
    assert all(len(line) <= limit for line in head.split(b"\r\n"))
    subject = [
        line
        for line in head.decode().split("\r\nDate:")[0].split("\r\n")
        if line[:1] in " \t" or line.startswith("Subject:")
    ]
    raw = "\r\n".join(subject).removeprefix("Subject:").lstrip(" ")
    assert str(make_header(decode_header(raw))) == clean_header_value(text)


def test_abandoned_rows_are_sent_again_with_the_same_message_id(db, smtp):
    queue(db, 5)
    claimed = claim_due(db.session, 3, utcnow(), utcnow() - timedelta(seconds=1))  # a crashed run's claim
    db.session.commit()
    assert len(claimed) == 3
    report = deliver_outbox(db.session, settings_for(smtp))
    assert (report.recovered, report.sent) == (3, 5)
    db.session.expire_all()
    for row in db.session.scalars(select(OutboxMessage)):
        assert row.attempts == 1  # a claim counts nothing; the server's one answer does
    assert {r.message["Message-ID"] for r in smtp.received} == set(db.session.scalars(select(OutboxMessage.message_id)))


def test_rows_claimed_by_a_live_run_are_left_alone(db, smtp):
    queue(db, 4)
    claim_due(db.session, 2, utcnow(), utcnow() + timedelta(seconds=60))
    db.session.commit()
    report = deliver_outbox(db.session, settings_for(smtp))
    assert (report.recovered, report.sent) == (0, 2)
    assert statuses(db) == {OutboxStatus.SENT: 2, OutboxStatus.SENDING: 2}


def test_held_and_future_rows_wait(db, smtp):
    queue(db, 2, status=OutboxStatus.HELD)
    queue(db, 2, start=2, next_attempt_at=utcnow() + timedelta(hours=1))
    assert deliver_outbox(db.session, settings_for(smtp)).sent == 0
    assert smtp.received == []


def test_smtp_auth_from_the_url(db):
    server = SmtpServer(users={"adal@metu.kz": "s3cret:/?"}).start()
    try:
        queue(db, 2)
        url = f"smtp://adal%40metu.kz:s3cret%3A%2F%3F@127.0.0.1:{server.port}"
        assert deliver_outbox(db.session, settings_for(None, smtp_url=url)).sent == 2
        assert len(server.received) == 2
    finally:
        server.stop()


def test_rate_limit_spaces_the_messages(db, smtp):
    queue(db, 11)
    started = time.monotonic()
    assert deliver_outbox(db.session, settings_for(smtp, rate=25)).sent == 11
    assert time.monotonic() - started >= 10 / 25 * 0.95


def test_local_mailbox_keeps_messages_without_any_network(db):
    queue(db, 7)
    report = deliver_outbox(db.session, settings_for(None))
    assert report.sent == 7
    assert statuses(db) == {OutboxStatus.SENT: 7}


def test_cli_delivers_once(db, runner):
    queue(db, 3)
    result = runner.invoke(args=["outbox", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "3 sent" in result.output


def test_delivery_runs_in_the_scheduler(app):
    assert any(job.id == "outbox.deliver" and job.seconds <= 10 for job in registered_jobs(app))


# --- real processes ------------------------------------------------------------------------


def _deliver_process(database_url: str, server: SmtpServer, **env) -> subprocess.Popen:
    environment = os.environ | {
        "ADAL_DATABASE_URL": database_url,
        "ADAL_SMTP_URL": server.url,
        "ADAL_SECRET_KEY": "test-secret",
        "ADAL_MAIL_RETRY_SECONDS": "0",
    }
    environment.update(env)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "outbox", "deliver", "--once"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_killed_delivery_resumes_and_repeats_keep_the_message_id(db, database_url):
    server = SmtpServer(SmtpBehaviour(delay=0.02)).start()
    try:
        addresses = queue(db, 150)
        first = _deliver_process(database_url, server, ADAL_MAIL_LEASE_SECONDS="2", ADAL_MAIL_BATCH="40")
        _wait_for(lambda: len(server.received) >= 50)
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL
        assert statuses(db)[OutboxStatus.SENDING] > 0  # killed in the middle of a batch
        time.sleep(2.5)  # the dead run's claim (and SQLite lease) expire
        second = _deliver_process(database_url, server, ADAL_MAIL_LEASE_SECONDS="2", ADAL_MAIL_BATCH="40")
        _out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert statuses(db) == {OutboxStatus.SENT: 150}
        ids = dict(db.session.execute(select(OutboxMessage.to_addr, OutboxMessage.message_id)).all())
        received = Counter(r.recipients[0] for r in server.received)
        assert set(received) == set(addresses)
        for item in server.received:
            assert item.message["Message-ID"] == ids[item.recipients[0]]
        assert sum(received.values()) - len(addresses) <= 40  # repeats: at most the interrupted batch
    finally:
        server.stop()


def test_two_delivery_processes_at_once_send_nothing_twice(db, database_url):
    server = SmtpServer(SmtpBehaviour(delay=0.01)).start()
    try:
        addresses = queue(db, 300)
        processes = [_deliver_process(database_url, server, ADAL_MAIL_BATCH="20") for _ in range(2)]
        outputs = [p.communicate(timeout=120) for p in processes]
        assert [p.returncode for p in processes] == [0, 0], outputs
        assert Counter(r.recipients[0] for r in server.received) == Counter(addresses)
        assert statuses(db) == {OutboxStatus.SENT: 300}
        sent = [int(out.split()[0]) for out, _ in outputs]
        assert sum(sent) == 300
        if db.engine.dialect.name == "postgresql":
            assert all(sent), sent  # both really worked at once, on disjoint rows
    finally:
        server.stop()


# --- the mailbox page ----------------------------------------------------------------------


def test_mailbox_is_refused_to_learners(client, auth, make, db):
    queue(db, 1)
    auth.login(make.user())
    message_id = db.session.scalar(select(OutboxMessage.id))
    assert client.get("/office/mailbox/").status_code == 403
    assert client.get(f"/office/mailbox/{message_id}").status_code == 403
    assert client.get(f"/office/mailbox/{message_id}/html").status_code == 403


def test_mailbox_lists_searches_and_filters_for_the_officer(client, auth, make, db, count_queries):
    queue(db, 60)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.to_addr == "r7@example.kz").values(status="failed"))
    db.session.commit()
    auth.login(make.user(roles=[Role.OFFICER]))
    with count_queries() as statements:
        page = client.get("/office/mailbox/")
    assert page.status_code == 200
    assert len(statements) <= 8
    text = page.get_data(as_text=True)
    assert "r59@example.kz" in text and "60 messages" in text
    assert "r0@example.kz" not in text  # page 2
    assert "r0@example.kz" in client.get("/office/mailbox/?page=2").get_data(as_text=True)
    found = client.get("/office/mailbox/?q=R12@").get_data(as_text=True)
    assert "r12@example.kz" in found and "r13@example.kz" not in found
    assert "№5:" in client.get("/office/mailbox/?q=№5:").get_data(as_text=True)
    failed = client.get("/office/mailbox/?status=failed").get_data(as_text=True)
    assert "r7@example.kz" in failed and "1 message" in failed and "r8@example.kz" not in failed


def test_message_page_shows_text_and_sandboxed_html(client, auth, make, db):
    queue(db, 1, body_html='<p>Hi</p><script>alert(1)</script><img src="https://adal.test/t/open.gif">')
    message = db.session.scalars(select(OutboxMessage)).one()
    auth.login(make.user(roles=[Role.OFFICER]))
    page = client.get(f"/office/mailbox/{message.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Курсты аяқтаңыз." in text
    assert "<script>alert(1)" not in text
    assert f'<iframe sandbox src="/office/mailbox/{message.id}/html"' in text
    assert "frame-src 'self'" in page.headers["Content-Security-Policy"]
    html = client.get(f"/office/mailbox/{message.id}/html")
    assert html.get_data(as_text=True).startswith("<p>Hi</p>")
    policy = html.headers["Content-Security-Policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/office/mailbox/999999").status_code == 404


def test_account_emails_are_readable_by_admins_only(client, auth, make, db):
    queue(db, 1, category="system", body_text="Reset: https://adal.test/password/reset/SECRET")
    message = db.session.scalars(select(OutboxMessage)).one()
    auth.login(make.user(roles=[Role.OFFICER]))
    assert "SECRET" not in client.get(f"/office/mailbox/{message.id}").get_data(as_text=True)
    assert client.get(f"/office/mailbox/{message.id}/html").status_code == 404
    auth.logout()
    auth.login(make.user(roles=[Role.ADMIN]))
    assert "SECRET" in client.get(f"/office/mailbox/{message.id}").get_data(as_text=True)


def test_scoped_officer_sees_only_their_units_mail(client, auth, make, db):
    faculty = make.unit()
    other = make.unit()
    inside = make.user(unit=faculty)
    outside = make.user(unit=other)
    queue(db, 1, user_id=inside.id, to_addr=inside.email)
    queue(db, 1, start=1, user_id=outside.id, to_addr=outside.email)
    officer = make.user(roles=[Role.OFFICER])
    officer.roles[0].scope_unit_id = faculty.id
    db.session.commit()
    auth.login(officer)
    text = client.get("/office/mailbox/").get_data(as_text=True)
    assert inside.email in text and outside.email not in text
    hidden = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.to_addr == outside.email))
    assert client.get(f"/office/mailbox/{hidden}").status_code == 404


def test_an_officer_reads_the_campaign_test_sent_to_them(client, auth, make, db):
    officer = make.user(roles=[Role.OFFICER])
    queue(db, 1, category="system", user_id=officer.id, to_addr=officer.email, body_text="[Test] gifts")
    message = db.session.scalars(select(OutboxMessage)).one()
    auth.login(officer)
    assert "[Test] gifts" in client.get(f"/office/mailbox/{message.id}").get_data(as_text=True)
    assert client.get(f"/office/mailbox/{message.id}/html").status_code == 200
