"""Recording a delivery run's outcomes: each message's, its claims' extensions, the server's outages.

At most the message in flight. Each message's outcome (sent, refused, to retry) is committed as
soon as the server has answered, before the next message's content goes out: the outcome of
message N is written while the server reads message N+1's ``MAIL FROM`` (so the commit costs
little time on the wire), and N+1's content follows only once that commit is done. A ``kill -9``
at any instant therefore leaves at most one message accepted by the server and still ``sending``
in the outbox per connection: the one of the transaction in progress, sent again, with its
Message-ID, after its claim expires. The cost, per message, is one UPDATE, committing itself, on
a connection of the run's own, durable against the death of this process at once: SQLite in WAL
with ``synchronous=NORMAL`` and PostgreSQL with ``synchronous_commit=off`` on that connection (no
fsync a message; a crash of the database server itself, not of Adal, may forget the last fraction
of a second of marks, and those messages would go out again). ``python -m bench
campaign_delivery`` measures it (``per_message_commit_us``).

Outages are not failures: the claimed rows go back to the queue untouched (no attempt counted)
and the whole outbox waits for the server (``lms.mail.server_status``: since when, why, when to try
again, with a backoff capped at ``outage_max_seconds``), logged as a WARNING with the reason each
time it is tried, shown to the office as a banner, and said once when the server takes a message
again. A 4xx reply to a message
is retried with a backoff up to ``max_attempts``, a 5xx fails it with the server's reply.
"""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lms.database import utcnow
from lms.leases import acquire_lease
from lms.mail import server_status
from lms.mail.delivery.claims import LEASE_NAME, OUTBOX
from lms.mail.delivery.settings import DeliveryReport, DeliverySettings
from lms.models import OutboxStatus

log = logging.getLogger(__package__)  # one logger for all of delivery: "lms.mail.delivery"

# One statement each, compiled once: they run once a message.
_MARK_SENT = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(status=OutboxStatus.SENT, sent_at=bindparam("at"), attempts=OUTBOX.c.attempts + 1, last_error=None)
)
_MARK_RETRY = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(
        status=OutboxStatus.QUEUED,
        attempts=OUTBOX.c.attempts + 1,
        next_attempt_at=bindparam("at"),
        last_error=bindparam("reason"),
    )
)
_MARK_FAILED = (
    update(OUTBOX)
    .where(OUTBOX.c.id == bindparam("row_id"))
    .values(status=OutboxStatus.FAILED, attempts=OUTBOX.c.attempts + 1, last_error=bindparam("reason"))
)


class Run:
    """The outcomes of one run, written and committed message by message.

    Outcomes go through a connection of their own (``writer``): a Core statement and a commit on a
    plain connection cost a third of the same through the ORM session, and they run once a message.
    Everything else (claims, extensions, the server's state) goes through ``session``, committed at
    once, so on SQLite the two never wait for each other's write lock.
    """

    def __init__(self, session: Session, settings: DeliverySettings, report: DeliveryReport, holder: str | None):
        self.session = session
        self.writer: Connection | None = None
        self.settings = settings
        self.report = report
        self.holder = holder  #: the SQLite lease holder, renewed with the claims
        self.pending: list[tuple] = []  #: outcomes decided, not yet written
        #: The outage recorded before this run, until the server takes a message (or has none to take).
        self.outage: server_status.ServerState | None = None

    def answered(self) -> None:
        """The server answered about a message: an outage recorded before is over (said once). Commits."""
        if self.outage is None:
            return
        outage, self.outage = self.outage, None
        self.commit()
        server_status.record_answer(self.session)
        self.session.commit()
        log.info(
            "outbox: the mail server answers again after %s unreachable (last: %s); %d messages wait",
            _duration(utcnow() - outage.down_since),
            outage.reason,
            server_status.waiting_messages(self.session),
        )
        self.session.commit()

    def sent(self, row) -> None:
        self.pending.append((_MARK_SENT, {"row_id": row.id, "at": utcnow()}))
        self.report.sent += 1

    def refused_for_now(self, row, reason: str) -> None:
        """A 4xx for this message: back to the queue with a backoff, or failed after too many."""
        attempts = row.attempts + 1
        if attempts >= self.settings.max_attempts:
            self.failed(row, f"gave up after {attempts} attempts: {reason}")
            return
        delay = min(self.settings.retry_seconds * 2 ** (attempts - 1), 6 * 3600)
        at = utcnow() + timedelta(seconds=delay)
        self.pending.append((_MARK_RETRY, {"row_id": row.id, "at": at, "reason": reason[:2000]}))
        self.report.retried += 1

    def failed(self, row, reason: str) -> None:
        self.pending.append((_MARK_FAILED, {"row_id": row.id, "reason": reason[:2000]}))
        self.report.failed += 1

    def commit(self) -> None:
        """Write the outcomes decided so far, each committed as it is written."""
        if not self.pending:
            return
        if self.writer is None:
            # Each UPDATE its own transaction: one round trip a message, no BEGIN nor COMMIT besides.
            self.writer = self.session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT")
            if self.writer.dialect.name == "postgresql":
                # As SQLite's synchronous=NORMAL: a commit returns before its WAL flush. Safe when this
                # process dies (the server has the commit); a crash of the database server itself may
                # lose the last fraction of a second of marks, and those messages go out again.
                self.writer.exec_driver_sql("SET synchronous_commit TO off")
        for statement, values in self.pending:
            self.writer.execute(statement, values)
        self.pending = []

    def close(self) -> None:
        """Write what is still pending (a run cut short by an error keeps its outcomes), then let go."""
        try:
            self.commit()
        except SQLAlchemyError:
            log.exception("outbox: %d outcomes not written; those messages will be sent again", len(self.pending))
        self.pending = []
        if self.writer is not None:
            try:
                if self.writer.dialect.name == "postgresql":
                    self.writer.exec_driver_sql("RESET synchronous_commit")  # the pool's next user
            finally:
                self.writer.close()
                self.writer = None

    def extend(self, ids: Sequence[int], claim_until: datetime) -> datetime | None:
        """Keep the claim on the rows not sent yet (and the SQLite lease) a lease longer; commits.

        Returns the claim's new end, or None when some of the rows are no longer this run's
        (the run stalled past its claim and another run took them): then it must stop.
        """
        self.commit()
        now = utcnow()
        until = now + timedelta(seconds=self.settings.lease_seconds)
        kept = self.session.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.id.in_(ids),
                OUTBOX.c.status == OutboxStatus.SENDING,
                OUTBOX.c.next_attempt_at == claim_until,
            )
            .values(next_attempt_at=until)
        ).rowcount
        if self.holder:
            acquire_lease(self.session, LEASE_NAME, self.holder, self.settings.lease_seconds, now)
        self.session.commit()
        if kept != len(ids):
            log.warning("outbox: this run's claim expired and another run took its messages; stopping")
            return None
        return until

    def wait_for_server(self, ids: Sequence[int], claim_until: datetime, reason: str) -> None:
        """The server is unreachable: these rows go back to the queue as they were, the outbox waits. Commits."""
        self.commit()
        state = server_status.record_outage(
            self.session, reason, utcnow(), self.settings.retry_seconds, self.settings.outage_max_seconds
        )
        if ids:
            self.report.deferred += self.session.execute(
                update(OUTBOX)
                .where(
                    OUTBOX.c.id.in_(ids),
                    OUTBOX.c.status == OutboxStatus.SENDING,
                    OUTBOX.c.next_attempt_at == claim_until,
                )
                .values(status=OutboxStatus.QUEUED, next_attempt_at=state.retry_at, last_error=reason[:2000])
            ).rowcount
        self.session.commit()
        self.report.server_error = reason
        self.report.errors.append(reason)
        log.warning(
            "outbox: the mail server is unreachable since %s (%s); %d messages wait; next try at %s",
            state.down_since.strftime("%Y-%m-%d %H:%M:%S UTC"),
            reason,
            server_status.waiting_messages(self.session),
            state.retry_at.strftime("%H:%M:%S UTC"),
        )
        self.session.commit()


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
