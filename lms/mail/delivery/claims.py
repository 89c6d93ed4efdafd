"""Claiming due outbox rows for one delivery run, and taking back those a crashed run left.

A run claims a batch of due rows in a transaction (``queued`` and due → ``sending``,
``next_attempt_at`` = the end of the claim). On PostgreSQL concurrent runs claim disjoint rows
(``FOR UPDATE SKIP LOCKED``); on SQLite one lease (``LEASE_NAME``, ``lms.leases``) lets a single
process deliver at a time. Rows a crashed process left ``sending`` go back to the queue once their
claim has expired; the resend keeps the row's ``Message-ID``.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms.models import OutboxMessage, OutboxStatus, User

OUTBOX = OutboxMessage.__table__
#: The SQLite lease that lets one process deliver at a time.
LEASE_NAME = "outbox"


def recover_abandoned(session: Session, now: datetime) -> int:
    """Queue again the rows a crashed run left ``sending`` after their claim expired."""
    return session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.status == OutboxStatus.SENDING, OUTBOX.c.next_attempt_at <= now)
        .values(status=OutboxStatus.QUEUED)
    ).rowcount


def is_due(now: datetime):
    """The rows waiting in the queue whose time has come."""
    return (OUTBOX.c.status == OutboxStatus.QUEUED) & (OUTBOX.c.next_attempt_at <= now)


def claim_due(session: Session, limit: int, now: datetime, lease_until: datetime) -> list[int]:
    """Mark up to ``limit`` due rows ``sending`` until ``lease_until`` for this run; return their ids.

    A claim counts no attempt: only the server's reply to the message does.
    """
    due = select(OUTBOX.c.id).where(is_due(now)).order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = session.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(due.scalar_subquery()))
        .values(status=OutboxStatus.SENDING, next_attempt_at=lease_until)
        .returning(OUTBOX.c.id)
    )
    return sorted(claimed.scalars())


def load_claimed(session: Session, ids: Sequence[int]):
    """The claimed rows with what their messages are built of (the person's name too), in id order."""
    return session.execute(
        select(
            OUTBOX.c.id,
            OUTBOX.c.message_id,
            OUTBOX.c.to_addr,
            OUTBOX.c.subject,
            OUTBOX.c.body_text,
            OUTBOX.c.body_html,
            OUTBOX.c.headers,
            OUTBOX.c.attachments,
            OUTBOX.c.attempts,
            User.full_name,
        )
        .outerjoin(User, User.id == OUTBOX.c.user_id)
        .where(OUTBOX.c.id.in_(ids))
        .order_by(OUTBOX.c.id)
    ).all()
