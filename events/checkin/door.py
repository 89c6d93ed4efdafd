"""Check-in at the door: a ticket's short code (typed, or read from its QR code) or a walk-in's name.

A check-in is one conditional UPDATE (attended, when, by whom) that only a not yet checked-in
ticket passes, so a ticket sent twice — a phone repeating a check-in whose answer it lost, or two
phones at the door — counts once. A phone that was offline sends the check-in later with the time
it was made; :func:`door_time` turns that into a time the server believes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from courses.certificates.attendance import issue_attendance_certificate
from courses.learning import seminars
from events.models import EventSession, Registration, RegistrationStatus
from events.tickets import new_ticket_code, normalize_code
from lms.audit import trail
from lms.database import as_utc
from lms.models import User

#: Cyrillic letters that look like the code's Latin ones: an officer typing on a Kazakh or Russian
#: keyboard gets the ticket they read.
LOOKALIKES = str.maketrans("АСЕНКМРТХУасенкмртху", "ACEHKMPTXYACEHKMPTXY")
#: Statuses a ticket may be checked in from (a no-show marked too early may still come in).
ADMITTED_FROM = (RegistrationStatus.REGISTERED, RegistrationStatus.NO_SHOW)


class Outcome(enum.StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already"  #: checked in before: nothing changed
    UNKNOWN = "unknown"  #: no such ticket
    OTHER_SESSION = "other_session"
    NOT_ADMITTED = "not_admitted"  #: cancelled or on the waiting list


MESSAGES = {
    Outcome.CHECKED_IN: _l("%(name)s is checked in."),
    Outcome.ALREADY: _l("%(name)s was already checked in."),
    Outcome.UNKNOWN: _l("No ticket has the code %(code)s."),
    Outcome.OTHER_SESSION: _l("The ticket of %(name)s is for another session."),
    Outcome.NOT_ADMITTED: _l("The ticket of %(name)s is cancelled or on the waiting list."),
}


@dataclass
class CheckIn:
    outcome: Outcome
    code: str
    registration: Registration | None = None

    @property
    def message(self) -> str:
        name = self.registration.display_name if self.registration is not None else ""
        return str(MESSAGES[self.outcome] % {"name": name, "code": self.code})


def session_day_start(event_session: EventSession) -> datetime:
    """Midnight (Asia/Almaty) of the day the session starts, in UTC: no one came in before it."""
    zone = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    local_day = as_utc(event_session.starts_at).astimezone(zone).date()
    return datetime.combine(local_day, time.min, zone).astimezone(UTC)


def door_time(
    event_session: EventSession, scanned_at: datetime | None, sent_at: datetime | None, now: datetime
) -> datetime:
    """When the ticket was shown at the door.

    The phone says when it scanned and when it sent; both by its own clock, so their difference
    (how long the check-in waited) holds even when that clock is wrong, and is taken back from
    the server's time. Never in the future, never before the session's day.
    """
    if scanned_at is None:
        return now
    moment = now - (sent_at - scanned_at) if sent_at is not None else scanned_at
    return min(max(moment, session_day_start(event_session)), now)


def check_in_ticket(session: Session, event_session: EventSession, code: str, officer: User, at: datetime) -> CheckIn:
    """Check in the ticket ``code`` at ``event_session`` at ``at``; flushes, the caller commits."""
    code = normalize_code(code.translate(LOOKALIKES))
    registration = session.scalars(select(Registration).where(Registration.ticket_code == code)).one_or_none()
    if registration is None:
        return CheckIn(Outcome.UNKNOWN, code)
    if registration.session_id != event_session.id:
        return CheckIn(Outcome.OTHER_SESSION, code, registration)
    if registration.checked_in_at is None and registration.status not in ADMITTED_FROM:
        return CheckIn(Outcome.NOT_ADMITTED, code, registration)
    admitted = session.execute(
        update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.checked_in_at.is_(None),
            Registration.status.in_(ADMITTED_FROM),
        )
        .values(status=RegistrationStatus.ATTENDED, checked_in_at=at, checked_in_by_id=officer.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(registration)
    if admitted != 1:
        return CheckIn(Outcome.ALREADY, code, registration)
    _attended(session, event_session, registration, at)
    return CheckIn(Outcome.CHECKED_IN, code, registration)


def add_walk_in(session: Session, event_session: EventSession, name: str, officer: User, at: datetime) -> CheckIn:
    """Someone without a ticket, added by name and checked in; the same name twice is one person."""
    name = " ".join(name.split())[:200]
    existing = session.scalars(
        select(Registration).where(
            Registration.session_id == event_session.id,
            Registration.user_id.is_(None),
            func.lower(Registration.name) == name.lower(),
        )
    ).first()
    if existing is not None:
        return CheckIn(Outcome.ALREADY, existing.ticket_code, existing)
    registration = Registration(
        session_id=event_session.id,
        user_id=None,
        name=name,
        status=RegistrationStatus.ATTENDED,
        ticket_code=new_ticket_code(session),
        registered_at=at,
        checked_in_at=at,
        checked_in_by_id=officer.id,
    )
    session.add(registration)
    session.flush()
    _attended(session, event_session, registration, at, walk_in=True)
    return CheckIn(Outcome.CHECKED_IN, registration.ticket_code, registration)


def _attended(
    session: Session, event_session: EventSession, registration: Registration, at: datetime, walk_in: bool = False
) -> None:
    """What follows a first check-in: the audit line, the seminar step of the person's courses, and the
    certificate of attendance when the event gives one."""
    trail.record(
        session,
        "event.walk_in" if walk_in else "event.check_in",
        registration,
        details={"name": registration.display_name, "session": event_session.id, "at": at.isoformat()},
    )
    if registration.user_id is None:
        return
    seminars.record_attendance(session, registration.user_id, event_session.event_id, at)
    event = event_session.event
    if any((event.certificate_text or {}).values()):
        issue_attendance_certificate(
            session,
            registration_id=registration.id,
            user=registration.user,
            title=event.title,
            text=event.certificate_text,
            attended_at=at,
        )


def attended_at(session: Session, user_id: int, event_id: int) -> datetime | None:
    """The latest time ``user_id`` was checked in at a session of ``event_id`` (for courses' seminar steps)."""
    return session.scalar(
        select(func.max(Registration.checked_in_at))
        .join(EventSession, EventSession.id == Registration.session_id)
        .where(
            EventSession.event_id == event_id,
            Registration.user_id == user_id,
            Registration.status == RegistrationStatus.ATTENDED,
        )
    )


def utc_from_client(value) -> datetime | None:
    """An ISO time sent by the check-in page (``…Z``), as aware UTC; ``None`` if absent or malformed."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None
