"""Builders for the door's tests: a published event with one session, tickets, a signed-in officer's client."""

import itertools
from datetime import timedelta

from sqlalchemy.orm import Session

from events.models import Event, EventSession, EventStatus, Registration, RegistrationStatus
from events.tickets import new_ticket_code
from lms.database import utcnow
from lms.models import User

_seq = itertools.count(1)


def build_event(session: Session, *, starts_in=timedelta(hours=1), **fields) -> Event:
    """A published event with one session starting ``starts_in`` from now; committed."""
    n = next(_seq)
    event = Event(
        title={"kk": f"Семинар {n}", "ru": f"Семинар {n}", "en": f"Seminar {n}"},
        description={"en": "About integrity"},
        status=EventStatus.PUBLISHED,
        published_at=utcnow(),
        capacity=20,
        **fields,
    )
    event.sessions.append(
        EventSession(starts_at=utcnow() + starts_in, room="Hall 1", capacity=20, ics_uid=f"door-{n}@adal.test")
    )
    session.add(event)
    session.commit()
    return event


def ticket(session: Session, event_session: EventSession, user: User, status=RegistrationStatus.REGISTERED):
    """A registration of ``user`` at ``event_session`` with a fresh ticket code; committed."""
    registration = Registration(
        session_id=event_session.id, user_id=user.id, status=status, ticket_code=new_ticket_code(session)
    )
    session.add(registration)
    session.commit()
    return registration
