"""The mail server as delivery last found it: answering, or unreachable since when and why.

Delivery (``lms.mail.delivery``) writes the state when it cannot reach the server (a refused
connection, a timeout, a dropped connection, a ``421``) and when the server answers again; the
office's pages read it for their banner ("The mail server has been unreachable since 14:02;
1,204 messages wait"). It lives in the ``setting`` table under ``mail_server``, so every process
(web workers, schedulers, ``flask outbox deliver``) sees the same state, and it survives restarts.

While the server is unreachable the whole outbox waits for it, not each message on its own:
``retry_at`` says when delivery tries again, after a backoff that doubles with each failed try up
to ``outage_max_seconds`` (5 minutes by default), however long the outage lasts. No message is
charged an attempt for it, so an outage never turns queued mail into failures.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from lms.database import as_utc
from lms.models import OutboxMessage, OutboxStatus, Setting, User

KEY = "mail_server"
#: Messages that wait for the server: queued, and claimed by a run that has not finished them.
WAITING = (OutboxStatus.QUEUED, OutboxStatus.SENDING)


@dataclass(frozen=True)
class ServerState:
    """``down_since`` is None while the server answers."""

    down_since: datetime | None = None
    #: What went wrong the last time, as the server or the network said it.
    reason: str = ""
    #: When delivery tries the server again.
    retry_at: datetime | None = None
    #: Tries that failed in a row since the outage began.
    failures: int = 0

    @property
    def down(self) -> bool:
        return self.down_since is not None

    @classmethod
    def from_value(cls, value) -> "ServerState":
        if not isinstance(value, dict) or not value.get("down_since"):
            return cls()
        return cls(
            down_since=_when(value["down_since"]),
            reason=str(value.get("reason") or ""),
            retry_at=_when(value.get("retry_at")),
            failures=int(value.get("failures") or 0),
        )

    def to_value(self) -> dict:
        if not self.down:
            return {}
        return {
            "down_since": self.down_since.isoformat(),
            "reason": self.reason,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
            "failures": self.failures,
        }


def _when(text: str | None) -> datetime | None:
    return as_utc(datetime.fromisoformat(text)) if text else None


def server_state(session: Session) -> ServerState:
    """The state as last recorded (one primary-key read)."""
    return ServerState.from_value(session.scalar(select(Setting.value).where(Setting.key == KEY)))


def record_outage(session: Session, reason: str, now: datetime, first_wait: float, longest_wait: float) -> ServerState:
    """The server could not be reached: keep since when, why, and when to try again. Flushes.

    The wait doubles from ``first_wait`` with each failed try in a row, never above ``longest_wait``.
    """
    before = server_state(session)
    failures = before.failures + 1 if before.down else 1
    wait = min(first_wait * 2 ** (failures - 1), longest_wait)
    state = ServerState(
        down_since=before.down_since or now,
        reason=reason[:500],
        retry_at=now + timedelta(seconds=wait),
        failures=failures,
    )
    _save(session, state.to_value())
    return state


def record_answer(session: Session) -> ServerState | None:
    """The server answered: clear the outage. Returns the outage that ended, if there was one. Flushes."""
    before = server_state(session)
    if not before.down:
        return None
    session.execute(update(Setting).where(Setting.key == KEY).values(value={}))
    return before


def _save(session: Session, value: dict) -> None:
    """Insert or replace the row in one statement: two delivery processes may record at once."""
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}.get(dialect)
    if insert is None:  # another database: no upsert statement, the usual two steps
        if not session.execute(update(Setting).where(Setting.key == KEY).values(value=value)).rowcount:
            session.add(Setting(key=KEY, value=value))
            session.flush()
        return
    statement = insert(Setting).values(key=KEY, value=value)
    session.execute(statement.on_conflict_do_update(index_elements=[Setting.key], set_={"value": value}))


def waiting_messages(session: Session, people=None) -> int:
    """How many messages wait to be sent; ``people``: only those to people matching this condition."""
    query = select(func.count(OutboxMessage.id)).where(OutboxMessage.status.in_(WAITING))
    if people is not None:
        query = query.join(User, User.id == OutboxMessage.user_id).where(people)
    return session.scalar(query) or 0


@dataclass(frozen=True)
class Outage:
    """What the office's banner says."""

    since: datetime
    reason: str
    waiting: int


def current_outage(session: Session, people=None) -> Outage | None:
    """The outage to show on the office's pages, or None while the server answers (one query then)."""
    state = server_state(session)
    if not state.down:
        return None
    return Outage(state.down_since, state.reason, waiting_messages(session, people))
