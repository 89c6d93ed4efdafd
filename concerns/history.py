"""A case's history: every read and change, by whom and when, with codes only (never contents).

The reporter's own visits and answers are recorded too, but to the day and with no person, as the
rest of what is kept about them.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from concerns.models import Case, CaseEvent
from lms.database import utcnow
from lms.models import User


def today() -> date:
    """The university's date today: the precision of everything kept about a reporter."""
    return utcnow().astimezone(ZoneInfo(current_app.config["ADAL_TIMEZONE"])).date()


def record_event(session: Session, case: Case, action: str, actor: User | None = None, **details) -> CaseEvent:
    """Add ``action`` to ``case``'s history; ``actor`` ``None`` is the reporter (kept to the day)."""
    at = utcnow() if actor is not None else datetime.combine(today(), time(), tzinfo=UTC)
    event = CaseEvent(case_id=case.id, actor_id=actor.id if actor else None, at=at, action=action, details=details)
    session.add(event)
    return event


def case_history(session: Session, case: Case) -> list[CaseEvent]:
    """The case's events, newest first, with their people."""
    query = (
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id)
        .options(joinedload(CaseEvent.actor))
        .order_by(CaseEvent.id.desc())
    )
    return list(session.scalars(query))


#: How each kind of event reads in the history.
EVENT_LABELS = {
    "filed": _l("report received"),
    "reporter_read": _l("opened the case with the receipt"),
    "reporter_message": _l("answered"),
    "read": _l("opened the case"),
    "file_read": _l("downloaded a file"),
    "status": _l("changed the status"),
    "unit": _l("set the unit concerned"),
    "message": _l("wrote to the reporter"),
    "note": _l("added a note"),
    "identity_requested": _l("asked to see the identity"),
    "identity_approved": _l("approved showing the identity"),
    "identity_refused": _l("refused showing the identity"),
    "identity_shown": _l("saw the identity"),
}
