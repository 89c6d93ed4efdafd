"""The cases' daily jobs: remind the handlers of cases that need attention, and retention.

Reminders say only that a case needs attention, never which or what: e-mail leaves Adal's
encryption behind. Retention deletes closed cases (files, messages, history and identity go with
them) after ``ADAL_CASE_RETENTION_DAYS``; their ``CaseStatistic`` rows stay for the figures.
"""

from datetime import date, timedelta

from flask import Flask, current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from concerns.handling import handlers, needing_attention
from concerns.history import today
from concerns.models import Case, CaseStatus
from lms.audit import trail
from lms.extensions import db
from lms.mail.outbox import enqueue_email
from lms.models import OutboxMessage
from lms.scheduler import register_job

#: Hourly, so a case that falls due is told the same day; each handler gets one e-mail a day at most.
EVERY = 3600


def remind_handlers(session: Session, on: date) -> int:
    """One e-mail a day to each handler while any case needs attention; returns the handlers told."""
    cases = needing_attention(session, on)
    if not cases:
        return 0
    for case in cases:
        case.reminded_on = on
    link = current_app.config["ADAL_BASE_URL"] + "/cases/"
    people = handlers(session)
    for person in people:
        key = f"case-attention:{on.isoformat()}:{person.id}"
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedup_key == key)) is None:
            enqueue_email(session, person, "case_attention", key, link=link)
    session.flush()
    return len(people)


def delete_expired_cases(session: Session, on: date) -> int:
    """Delete the cases closed more than the retention period ago; audited with their count only."""
    cutoff = on - timedelta(days=current_app.config["ADAL_CASE_RETENTION_DAYS"])
    expired = select(Case.id).where(Case.status == CaseStatus.CLOSED, Case.closed_on < cutoff)
    ids = list(session.scalars(expired))
    if not ids:
        return 0
    session.execute(delete(Case).where(Case.id.in_(ids)))
    session.expire_all()
    trail.record(session, "concerns.retention", details={"cases": len(ids)})
    session.flush()
    return len(ids)


def daily_cases_job() -> None:
    on = today()
    remind_handlers(db.session, on)
    delete_expired_cases(db.session, on)
    db.session.commit()


def register(app: Flask) -> None:
    register_job(app, "concerns.daily", daily_cases_job, seconds=EVERY)
