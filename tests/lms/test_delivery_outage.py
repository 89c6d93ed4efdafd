"""Delivery while the mail server is unreachable, and messages as the standard library builds them.

An outage is the server's state, not the messages': whatever its length, no message is charged
an attempt and none fails; the office sees a banner while it lasts; the log says why.
"""

import email
import logging
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header, make_header

import pytest
import time_machine
from sqlalchemy import select

from lms.mail.delivery import DeliverySettings, build_message, deliver_outbox, describe_run
from lms.mail.server_status import record_answer, record_outage, server_state
from lms.models import OutboxMessage, OutboxStatus, Role
from tests.lms.smtp_server import SmtpServer
from tests.lms.test_delivery import queue, row_for, statuses

#: Small retries: a 4xx-refused message would fail after 1 + 2 = 3 seconds of retries.
RETRY = {"retry_seconds": 1.0, "max_attempts": 3, "outage_max_seconds": 4.0}
WHOLE_SCHEDULE = 3.0


def settings_for(server: SmtpServer, **changes) -> DeliverySettings:
    values = {"smtp_url": server.url, "mail_from": "Адал <compliance@metu.kz>", "timeout": 5.0, **RETRY}
    return DeliverySettings(**(values | changes))


@pytest.fixture
def server():
    """A server that is not listening yet (connections are refused until ``start()``)."""
    smtp = SmtpServer()
    yield smtp
    smtp.stop()


@pytest.mark.parametrize("outage", ["refused", "421"])
def test_an_outage_ten_times_the_retry_schedule_ends_with_everything_delivered_once(db, server, outage, caplog):
    addresses = queue(db, 20)
    if outage == "421":
        server.behaviour.tempfail_next = 10**6
        server.start()
    caplog.set_level(logging.INFO, logger="lms.mail.delivery")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)  # after the rows were queued
    with time_machine.travel(start, tick=False) as clock:
        tries = 0
        for _ in range(int(WHOLE_SCHEDULE * 10 / 0.5)):  # 30 s of outage in steps of half a second
            report = deliver_outbox(db.session, settings_for(server))
            tries += not report.waiting
            assert report.sent == report.failed == report.retried == 0
            clock.shift(timedelta(seconds=0.5))
        assert statuses(db) == {OutboxStatus.QUEUED: 20}
        assert {row.attempts for row in db.session.scalars(select(OutboxMessage))} == {0}
        assert 6 <= tries <= 15  # the whole outbox waited, with a backoff capped at 4 s
        state = server_state(db.session)
        assert state.down and state.down_since == start
        assert ("421" if outage == "421" else "refused") in state.reason
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == tries and "unreachable" in warnings[0].getMessage()
        assert "20 messages wait" in warnings[0].getMessage()

        if outage == "421":
            server.behaviour.tempfail_next = 0
        else:
            server.start()
        clock.shift(timedelta(seconds=RETRY["outage_max_seconds"]))
        caplog.clear()
        report = deliver_outbox(db.session, settings_for(server))
    assert report.sent == 20
    assert statuses(db) == {OutboxStatus.SENT: 20}
    assert Counter(r.recipients[0] for r in server.received) == Counter(addresses)
    assert not server_state(db.session).down
    said = [r.getMessage() for r in caplog.records]
    assert sum("answers again" in line for line in said) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_refused_connection_and_421_count_nothing_a_550_fails_only_its_message(db, server):
    queue(db, 3)
    assert deliver_outbox(db.session, settings_for(server, retry_seconds=0)).server_error.startswith("cannot connect")
    server.behaviour.tempfail_next = 1
    server.behaviour.reject = {"r1@example.kz"}
    server.start()
    report = deliver_outbox(db.session, settings_for(server, retry_seconds=0))
    assert report.server_error.startswith("421") and report.deferred == 3
    assert {row.attempts for row in db.session.scalars(select(OutboxMessage))} == {0}
    report = deliver_outbox(db.session, settings_for(server, retry_seconds=0))
    assert (report.sent, report.failed) == (2, 1)
    refused = row_for(db, "r1@example.kz")
    assert refused.status == OutboxStatus.FAILED and refused.attempts == 1
    assert refused.last_error == "550 5.1.1 <r1@example.kz>: mailbox unavailable"


def test_a_connection_dropped_mid_run_is_opened_again_at_once(db, server, monkeypatch):
    from lms.mail import delivery

    queue(db, 5)
    server.start()
    sent = []
    original = delivery.SmtpTransport.send

    def drop_after_two(self, envelope, **hooks):
        if len(sent) == 2 and self.connection is not None:
            self.connection.sock.close()  # the server (or a router) cut the line
        sent.append(envelope.recipient)
        return original(self, envelope, **hooks)

    monkeypatch.setattr(delivery.SmtpTransport, "send", drop_after_two)
    report = deliver_outbox(db.session, settings_for(server))
    assert report.sent == 5 and report.server_error is None
    assert statuses(db) == {OutboxStatus.SENT: 5}


# --- the office's banner -------------------------------------------------------------------


def test_the_office_sees_a_banner_while_the_server_is_unreachable(client, auth, make, db, server):
    officer = make.user(roles=[Role.OFFICER])
    learner = make.user()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(hour=9, minute=2, second=0, microsecond=0)
    with time_machine.travel(yesterday, tick=False):  # 14:02 in Almaty
        queue(db, 4)
        deliver_outbox(db.session, settings_for(server))
    auth.login(officer)
    page = client.get("/office/mailbox/").get_data(as_text=True)
    assert "The mail server has been unreachable since" in page
    assert "4 messages wait." in page and "Connection refused" in page
    assert re.search(r"since [A-Z][a-z]{2} \d+, \d{4}, 14:02;", page)  # not today: the date (four-digit year) too
    assert 'id="mail-outage"' in client.get("/office/campaigns/").get_data(as_text=True)
    auth.logout()
    auth.login(learner)
    assert 'id="mail-outage"' not in client.get("/profile").get_data(as_text=True)
    auth.logout()

    server.start()
    deliver_outbox(db.session, settings_for(server))  # the next try is due: the server answers
    auth.login(officer)
    assert 'id="mail-outage"' not in client.get("/office/mailbox/").get_data(as_text=True)


def test_the_banner_says_the_time_today_and_counts_a_unit_heads_people_only(client, auth, make, db):
    faculty, other = make.unit(), make.unit()
    inside, outside = make.user(unit=faculty), make.user(unit=other)
    queue(db, 1, user_id=inside.id, to_addr=inside.email)
    queue(db, 2, start=1, user_id=outside.id, to_addr=outside.email)
    head = make.user(roles=[Role.OFFICER])
    head.roles[0].scope_unit_id = faculty.id
    db.session.commit()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    record_outage(db.session, "cannot connect to mail:25: [Errno 111] Connection refused", now, 60, 300)
    db.session.commit()
    auth.login(head)
    page = client.get("/office/mailbox/").get_data(as_text=True)
    assert "1 message waits." in page
    record_answer(db.session)
    db.session.commit()
    assert 'id="mail-outage"' not in client.get("/office/mailbox/").get_data(as_text=True)


# --- messages built by the standard library ------------------------------------------------

KAZAKH = "Сыбайлас жемқорлыққа қарсы мәдениет: «Адалдық» курсын 9 желтоқсанға дейін аяқтаңыз — ә ғ қ ң ө ұ ү һ і"
RUSSIAN = "Напоминание: курс «Академическая честность» нужно пройти до 9 декабря, иначе доступ будет закрыт"
LONG_NAME = "Айгерим Нурланқызы Сәрсенбаева-Жетпісбаева Әлиханқызы Нұрсұлтанқызы"


@pytest.mark.parametrize("subject", [KAZAKH, RUSSIAN, KAZAKH + " " + RUSSIAN, "Plain " * 30])
def test_a_message_parses_back_without_defects(subject):
    unsubscribe = ", ".join(f"<https://adal.test/unsubscribe/{'x' * 40}{n}>" for n in range(3))
    envelope = build_message(
        mail_from="Адал — комплаенс-служба <compliance@metu.kz>",
        to_addr="aigerim@example.kz",
        to_name=LONG_NAME,
        subject=subject,
        body_text="Сәлеметсіз бе!\n" * 50,
        body_html="<p>" + "Құрметті әріптес, " * 200 + "</p>",
        message_id="<stable.1@metu.kz>",
        headers={"List-Unsubscribe": unsubscribe, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    assert envelope.data.isascii()
    assert all(len(line) <= 78 for line in envelope.data.split(b"\r\n"))
    message = email.message_from_bytes(envelope.data, policy=policy.default)
    assert not message.defects
    assert all(not part.defects for part in message.walk())
    assert message["Subject"] == " ".join(subject.split())
    assert message["Message-ID"] == "<stable.1@metu.kz>"
    # compat32 folds a long list before its first item, as RFC 5322 allows: the value starts after a fold.
    assert message["List-Unsubscribe"].strip() == unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Python's parser puts a space between two encoded words of a name; mail readers do not.
    raw_to = email.message_from_bytes(envelope.data, policy=policy.compat32)["To"]
    assert str(make_header(decode_header(raw_to))) == f"{LONG_NAME} <aigerim@example.kz>"
    assert message["To"].addresses[0].addr_spec == "aigerim@example.kz"
    assert message["From"].addresses[0].addr_spec == "compliance@metu.kz"
    assert message.get_body(("plain",)).get_content() == "Сәлеметсіз бе!\n" * 50
    assert message.get_body(("html",)).get_content() == "<p>" + "Құрметті әріптес, " * 200 + "</p>"


def test_the_server_takes_a_long_one_line_html_body(db):
    server = SmtpServer().start()
    try:
        html = "<table>" + "".join(f"<tr><td>Әлем {n}</td></tr>" for n in range(5000)) + "</table>"
        assert "\n" not in html and len(html.encode()) > 100_000
        queue(db, 1, body_html=html)
        assert deliver_outbox(db.session, settings_for(server)).sent == 1
        [received] = server.received
        assert not received.message.defects
        assert received.message.get_body(("html",)).get_content() == html
    finally:
        server.stop()


def test_a_run_during_an_outage_tells_the_operator_why_nothing_went(db, server):
    queue(db, 3)  # the server is not listening: connections are refused
    report = deliver_outbox(db.session, settings_for(server))
    text = describe_run(db.session, report)
    assert text.startswith("0 sent, 0 to retry, 0 failed.")
    assert "unreachable since" in text and "3 messages wait, none counted as failed" in text
    assert "refused" in text.lower()

    server.start()
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=10)):
        report = deliver_outbox(db.session, settings_for(server))
    assert describe_run(db.session, report) == "3 sent, 0 to retry, 0 failed."
