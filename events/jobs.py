"""The event jobs the scheduler runs: "registration is open", the two reminders, the thank-you.

Each is sent once: a mark on the event or session is set in the same transaction as the e-mails
(and every e-mail has its own dedup key), so a job that dies half-way leaves nothing sent and
nothing marked, and the next run does it all.
"""

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from courses.audience.rules import audience_user_ids
from events import notices
from events.models import Event, EventSession, EventStatus, Registration, RegistrationStatus, SessionStatus
from lms.database import utcnow
from lms.extensions import db
from lms.models import User
from lms.scheduler import register_job

DAY_BEFORE = timedelta(hours=24)
HOUR_BEFORE = timedelta(hours=1)
#: The thank-you waits this long after the end, so check-ins a phone sends late still count.
THANKS_AFTER = timedelta(hours=1)
#: Sessions that ended longer ago than this get no thank-you (e.g. the first run after an outage).
THANKS_WITHIN = timedelta(days=2)


def announce_open_registrations(session: Session, now: datetime) -> int:
    """ "Registration is open" to the audience of every published event whose registration opened."""
    events = session.scalars(
        select(Event).where(
            Event.status == EventStatus.PUBLISHED,
            Event.announced_at.is_(None),
            or_(Event.registration_opens_at.is_(None), Event.registration_opens_at <= now),
            or_(Event.registration_closes_at.is_(None), Event.registration_closes_at > now),
        )
    ).all()
    sent = 0
    for event in events:
        for user in session.scalars(select(User).where(User.id.in_(audience_user_ids(event.audience)))):
            notices.send_registration_open(session, event, user)
            sent += 1
        event.announced_at = now
    return sent


def _sessions_due(session: Session, mark, after: datetime, until: datetime) -> list[EventSession]:
    return list(
        session.scalars(
            select(EventSession).where(
                EventSession.status == SessionStatus.SCHEDULED,
                mark.is_(None),
                EventSession.starts_at > after,
                EventSession.starts_at <= until,
            )
        )
    )


def _registered(session: Session, event_session: EventSession, status: str) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration).where(
                Registration.session_id == event_session.id,
                Registration.status == status,
                Registration.user_id.is_not(None),
            )
        )
    )


def send_reminders(session: Session, now: datetime) -> int:
    """The day before and one hour before, to everyone registered.

    "Tomorrow" goes 24 to 12 hours before the start; a session registered for later than that
    gets the hour's reminder alone.
    """
    sent = 0
    for event_session in _sessions_due(session, EventSession.hour_reminder_at, now, now + HOUR_BEFORE):
        for registration in _registered(session, event_session, RegistrationStatus.REGISTERED):
            notices.send_reminder(session, registration, "hour")
            sent += 1
        event_session.hour_reminder_at = now
    for event_session in _sessions_due(session, EventSession.day_reminder_at, now + DAY_BEFORE / 2, now + DAY_BEFORE):
        for registration in _registered(session, event_session, RegistrationStatus.REGISTERED):
            notices.send_reminder(session, registration, "day")
            sent += 1
        event_session.day_reminder_at = now
    return sent


def send_thanks(session: Session, now: datetime) -> int:
    """An hour after a session, thank the people who came (asking for feedback); the others are no-shows.

    A check-in that arrives even later still turns a no-show into attended (``events.checkin.door``).
    """
    sent = 0
    candidates = session.scalars(
        select(EventSession).where(
            EventSession.status == SessionStatus.SCHEDULED,
            EventSession.thanked_at.is_(None),
            EventSession.starts_at <= now,
            EventSession.starts_at > now - THANKS_WITHIN - timedelta(days=1),
        )
    ).all()
    for event_session in candidates:
        if not (now - THANKS_WITHIN < event_session.ends_at + THANKS_AFTER <= now):
            continue
        for registration in _registered(session, event_session, RegistrationStatus.ATTENDED):
            notices.send_thanks(session, registration)
            sent += 1
        for registration in _registered(session, event_session, RegistrationStatus.REGISTERED):
            registration.status = RegistrationStatus.NO_SHOW
        event_session.thanked_at = now
    return sent


def run_event_mail() -> None:
    """The job: every event e-mail whose time has come, in one transaction."""
    now = utcnow()
    announce_open_registrations(db.session, now)
    send_reminders(db.session, now)
    send_thanks(db.session, now)
    db.session.commit()


def register(app: Flask) -> None:
    register_job(app, "events.mail", run_event_mail, seconds=60)
