"""Registering for a session: who may, the places, the waiting list, cancelling.

Concurrency. Every change that takes or frees a place first locks the session's row
(``lock_session``: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite a no-op write that takes the
database's single write lock), then counts the places held, and keeps the lock until the caller
commits. Two people asking for the last place at once therefore take turns: the second one counts
the first one's place and joins the waiting list. The capacity is never exceeded, and the waiting
list moves up in the order people joined it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from courses.audience.rules import audience_condition
from events import notices
from events.models import (
    HOLDS_PLACE,
    Event,
    EventSession,
    EventStatus,
    Registration,
    RegistrationStatus,
    SessionStatus,
)
from events.tickets import new_ticket_code
from lms.models import User

#: A person's registration that still counts (a cancelled one may be renewed).
ACTIVE = (*HOLDS_PLACE, RegistrationStatus.WAITING)


class RegistrationClosed(Exception):
    """The session cannot take registrations now (closed, cancelled, started, not for this person)."""


def lock_session(session: Session, session_id: int) -> EventSession:
    """The session's row, locked until the transaction ends (see the module's docstring)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(EventSession).where(EventSession.id == session_id).values(ics_sequence=EventSession.ics_sequence)
        )
        query = select(EventSession).where(EventSession.id == session_id)
    else:
        query = select(EventSession).where(EventSession.id == session_id).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()


def in_audience(session: Session, event: Event, user: User) -> bool:
    """Whether the event's audience rule selects this person."""
    return bool(session.scalar(select(exists().where(User.id == user.id, audience_condition(event.audience)))))


def registration_open(event: Event, event_session: EventSession, now: datetime) -> bool:
    """The event is published, the session scheduled and not started, and now is inside the window."""
    if event.status != EventStatus.PUBLISHED or event_session.status != SessionStatus.SCHEDULED:
        return False
    if event.registration_opens_at and now < event.registration_opens_at:
        return False
    closes = event.registration_closes_at or event_session.starts_at
    return now < min(closes, event_session.starts_at)


def places_taken(session: Session, session_id: int) -> int:
    return session.scalar(
        select(func.count(Registration.id)).where(
            Registration.session_id == session_id, Registration.status.in_(HOLDS_PLACE)
        )
    )


def registration_of(session: Session, session_id: int, user_id: int) -> Registration | None:
    return session.scalar(
        select(Registration).where(Registration.session_id == session_id, Registration.user_id == user_id)
    )


def register(session: Session, event_session: EventSession, user: User, now: datetime) -> Registration:
    """Give the person a place, or a place on the waiting list when the session is full.

    Registering again while registered or waiting changes nothing; a cancelled registration is
    renewed with its ticket code. The ticket (or the waiting-list notice) goes to the outbox.
    """
    event_session = lock_session(session, event_session.id)
    event = event_session.event
    if not registration_open(event, event_session, now) or not in_audience(session, event, user):
        raise RegistrationClosed
    registration = registration_of(session, event_session.id, user.id)
    if registration is not None and registration.status in ACTIVE:
        return registration
    has_place = places_taken(session, event_session.id) < event_session.capacity
    if registration is None:
        registration = Registration(session_id=event_session.id, user_id=user.id, ticket_code=new_ticket_code(session))
        session.add(registration)
    registration.registered_at = now
    registration.cancelled_at = None
    if has_place:
        registration.status = RegistrationStatus.REGISTERED
        registration.waiting_position = None
        session.flush()
        notices.send_ticket(session, registration, notices.TicketReason.REGISTERED)
    else:
        registration.status = RegistrationStatus.WAITING
        registration.waiting_position = _next_waiting_position(session, event_session.id)
        session.flush()
        notices.send_waiting(session, registration)
    return registration


def cancel(session: Session, registration: Registration, now: datetime) -> None:
    """Cancel a registration or a place on the waiting list; a freed place goes to the next in line."""
    event_session = lock_session(session, registration.session_id)
    session.refresh(registration)
    if registration.status not in (RegistrationStatus.REGISTERED, RegistrationStatus.WAITING):
        return
    freed = registration.status == RegistrationStatus.REGISTERED
    registration.status = RegistrationStatus.CANCELLED
    registration.waiting_position = None
    registration.cancelled_at = now
    session.flush()
    if freed:
        if registration.user_id is not None:
            notices.send_place_cancelled(session, registration)
        promote_waiting(session, event_session)


def promote_waiting(session: Session, event_session: EventSession) -> list[Registration]:
    """Move people up from the waiting list, in order, while there are free places (session locked)."""
    free = event_session.capacity - places_taken(session, event_session.id)
    if free <= 0 or event_session.status != SessionStatus.SCHEDULED:
        return []
    promoted = list(
        session.scalars(
            select(Registration)
            .where(Registration.session_id == event_session.id, Registration.status == RegistrationStatus.WAITING)
            .order_by(Registration.waiting_position, Registration.id)
            .limit(free)
        )
    )
    for registration in promoted:
        registration.status = RegistrationStatus.REGISTERED
        registration.waiting_position = None
    session.flush()
    for registration in promoted:
        notices.send_ticket(session, registration, notices.TicketReason.PROMOTED)
    return promoted


def _next_waiting_position(session: Session, session_id: int) -> int:
    last = session.scalar(select(func.max(Registration.waiting_position)).where(Registration.session_id == session_id))
    return (last or 0) + 1


def waiting_rank(session: Session, registration: Registration) -> int | None:
    """The person's place in the waiting list (1: next to move up), or ``None`` when not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = session.scalar(
        select(func.count(Registration.id)).where(
            Registration.session_id == registration.session_id,
            Registration.status == RegistrationStatus.WAITING,
            Registration.waiting_position < registration.waiting_position,
        )
    )
    return ahead + 1
