"""A delivery run: connect, claim due rows, send each over one SMTP connection, record each outcome.

A run sends a row only while its own claim on it has a third of its lease left (it extends the
claim before that, and stops if another run took the rows of a claim it let expire), so a stalled
run never sends what another run has taken. With no ``ADAL_SMTP_URL`` the local mailbox keeps the
messages in the database.

The next message is built while the server reads the current one (between handing over its
content and reading its verdict), in this thread: measured against a helper thread building ahead
(``python -m bench campaign_delivery --quick``, a quiet machine: 0.72 against 0.59 of the prebuilt
baseline), the helper thread lost, each of its builds holding the GIL while this thread's replies
and commits wait for it.
"""

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms.database import utcnow
from lms.leases import acquire_lease, holder_name, release_lease
from lms.mail import server_status
from lms.mail.delivery.claims import LEASE_NAME, OUTBOX, claim_due, is_due, load_claimed, recover_abandoned
from lms.mail.delivery.message import Envelope, InvalidMessage, message_for_row
from lms.mail.delivery.outcomes import Run
from lms.mail.delivery.settings import DeliveryReport, DeliverySettings
from lms.mail.delivery.smtp import ConnectionLost, PermanentFailure, ServerUnavailable, SmtpTransport, TemporaryFailure
from lms.models import OutboxStatus

log = logging.getLogger(__package__)  # one logger for all of delivery: "lms.mail.delivery"


def deliver_outbox(session: Session, settings: DeliverySettings, max_messages: int | None = None) -> DeliveryReport:
    """Send every due message now (or up to ``max_messages``); commits as it goes."""
    report = DeliveryReport()
    transport = SmtpTransport(settings.smtp_url, settings.timeout) if settings.smtp_url else None
    holder = holder_name() if session.get_bind().dialect.name == "sqlite" else None
    if holder and not acquire_lease(session, LEASE_NAME, holder, settings.lease_seconds):
        report.skipped = True
        return report
    started = utcnow()  # rows put back for a retry during this run wait for the next one
    run = Run(session, settings, report, holder)
    try:
        report.recovered = recover_abandoned(session, started)
        session.commit()
        if transport is None:
            _keep_in_mailbox(run, started, max_messages)
        elif _server_answers(run, transport, started):
            _send_due(run, transport, started, max_messages)
    finally:
        run.close()
        if transport is not None:
            transport.close()
        if holder:
            session.rollback()
            release_lease(session, LEASE_NAME, holder)
    if report.sent or report.failed or report.retried or report.recovered:
        log.info(
            "outbox: %d sent, %d to retry, %d failed, %d recovered, %d waiting for the server",
            report.sent,
            report.retried,
            report.failed,
            report.recovered,
            report.deferred,
        )
    return report


def describe_run(session: Session, report: DeliveryReport) -> str:
    """What ``flask outbox deliver --once`` tells the operator: the counts, and while the mail
    server is unreachable, since when, why, how many messages wait and when it is tried again
    (a bare "0 sent" during an outage read as if there were nothing to send)."""
    text = f"{report.sent} sent, {report.retried} to retry, {report.failed} failed."
    state = server_status.server_state(session)
    if state.down:
        text += (
            f" The mail server has been unreachable since {state.down_since:%Y-%m-%d %H:%M} UTC ({state.reason});"
            f" {server_status.waiting_messages(session)} messages wait, none counted as failed;"
            f" next try at {state.retry_at:%H:%M:%S} UTC."
        )
    return text


def _server_answers(run: Run, transport: SmtpTransport, now: datetime) -> bool:
    """Connect before claiming anything; False (and the outage recorded) when the server does not answer.

    While the server is unreachable, runs do not try it before the recorded ``retry_at``; they
    try it then even with nothing due, so the office's banner goes as soon as it answers again.
    """
    session = run.session
    state = server_status.server_state(session)
    if state.down and state.retry_at and now < state.retry_at:
        run.report.waiting = True
        return False
    if not state.down and session.scalar(select(OUTBOX.c.id).where(is_due(now)).limit(1)) is None:
        return False
    try:
        transport.open()
    except ServerUnavailable as error:
        run.wait_for_server((), now, str(error))
        return False
    if state.down:  # over once the server takes a message: it may still answer 421 to each
        run.outage = state
    return True


def _send_due(run: Run, transport: SmtpTransport, started: datetime, max_messages: int | None) -> None:
    settings, session = run.settings, run.session
    pacer = _Pacer(settings.rate)
    batch_size = settings.batch_size
    if settings.rate:  # a claim must be sent well within its lease
        batch_size = max(1, min(batch_size, int(settings.rate * settings.lease_seconds / 3)))
    while (left := _left(run.report, max_messages)) > 0:
        claim_until = utcnow() + timedelta(seconds=settings.lease_seconds)
        ids = claim_due(session, min(batch_size, left), started, claim_until)
        session.commit()
        if not ids:
            run.answered()  # nothing (more) to send, and the server let us in
            return
        rows = load_claimed(session, ids)
        session.commit()  # no transaction (nor, on SQLite, write lock) held while the server talks
        if not _send_batch(run, transport, pacer, rows, claim_until):
            return


def _keep_in_mailbox(run: Run, started: datetime, max_messages: int | None) -> None:
    """The local mailbox: the row itself is the delivered message."""
    session, settings = run.session, run.settings
    while (left := _left(run.report, max_messages)) > 0:
        ids = claim_due(session, min(settings.batch_size, left), started, utcnow())
        if not ids:
            session.commit()
            return
        session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids))
            .values(status=OutboxStatus.SENT, sent_at=utcnow(), attempts=OUTBOX.c.attempts + 1, last_error=None)
        )
        if run.holder:
            acquire_lease(session, LEASE_NAME, run.holder, settings.lease_seconds)
        session.commit()
        run.report.sent += len(ids)


def _left(report: DeliveryReport, max_messages: int | None) -> float:
    done = report.sent + report.failed + report.retried
    return float("inf") if max_messages is None else max_messages - done


def _build(settings: DeliverySettings, row) -> "Envelope | InvalidMessage":
    """The row's message, or why it cannot be one: a row that cannot be built must not stop the outbox."""
    try:
        return message_for_row(settings.mail_from, row)
    except InvalidMessage as error:
        return error
    except Exception as error:
        log.exception("outbox: message %s cannot be built", row.id)
        return InvalidMessage(f"cannot be built: {error!r}")


def _send_batch(run: Run, transport: SmtpTransport, pacer: "_Pacer", rows: Sequence, claim_until: datetime) -> bool:
    """Send one claimed batch, each outcome committed before the next message's content goes out.

    False when the run should stop: the server became unreachable, or the claim was lost.
    """
    settings = run.settings
    #: The claim is extended once a third of it is left: no other run can take a row before its end
    #: (``recover_abandoned`` takes expired claims only), so a row whose claim runs a while yet is ours.
    margin = timedelta(seconds=settings.lease_seconds / 3)
    reconnected = False
    built: dict[int, Envelope | InvalidMessage] = {}

    def build(index: int) -> None:
        if index < len(rows) and index not in built:
            built[index] = _build(settings, rows[index])

    index = 0
    while index < len(rows):
        row = rows[index]
        build(index)
        envelope = built.pop(index)
        if isinstance(envelope, InvalidMessage):
            run.failed(row, str(envelope))
            index += 1
            continue
        if pacer.interval:
            run.commit()
            pacer.wait()
        if utcnow() > claim_until - margin:
            claim_until = run.extend([r.id for r in rows[index:]], claim_until)
            if claim_until is None:
                return False
        try:
            # The previous outcome is committed while the server reads MAIL FROM, before this
            # message's content goes out; the next message is built while the server reads this one.
            transport.send(envelope, while_mail=run.commit, while_data=lambda i=index: build(i + 1))
        except PermanentFailure as error:
            run.failed(row, str(error))
            run.answered()
        except TemporaryFailure as error:
            run.refused_for_now(row, str(error))
            run.answered()
        except ConnectionLost as error:
            if not reconnected:  # once a run: a dropped connection may be a fluke; this message again
                reconnected = True
                log.info("outbox: %s; connecting again", error)
                built[index] = envelope
                continue
            run.wait_for_server([r.id for r in rows[index:]], claim_until, str(error))
            return False
        except ServerUnavailable as error:
            run.wait_for_server([r.id for r in rows[index:]], claim_until, str(error))
            return False
        else:
            run.sent(row)
            run.answered()
        index += 1
    run.commit()
    return True


class _Pacer:
    """Spaces sends ``1 / rate`` seconds apart over the whole run (0: no limit)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        delay = self.next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next_at = max(self.next_at, time.monotonic()) + self.interval
