"""Tickets for the door's tests: a registration holding a place, made directly."""

from sqlalchemy.orm import Session

from events.models import EventSession, Registration, RegistrationStatus
from events.tickets import new_ticket_code
from lms.models import User


def ticket(session: Session, event_session: EventSession, user: User, status=RegistrationStatus.REGISTERED):
    """A registration of ``user`` at ``event_session`` with a fresh ticket code; committed."""
    registration = Registration(
        session_id=event_session.id, user_id=user.id, status=status, ticket_code=new_ticket_code(session)
    )
    session.add(registration)
    session.commit()
    return registration
