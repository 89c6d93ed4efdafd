"""For the door's tests: a registration holding a place, and a course whose last step is a seminar."""

from sqlalchemy.orm import Session

from courses.models import Course, Module, ModuleKind
from events.models import Event, EventSession, Registration, RegistrationStatus
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


def seminar_course(session: Session, event: Event, **fields) -> Course:
    """A published course of one lesson then a seminar step linking ``event``; committed."""
    from tests.courses.builders import build_course

    course = build_course(session, lessons=1, quiz=False, **fields)
    course.modules.append(
        Module(
            key="seminar",
            position=5,
            kind=ModuleKind.SEMINAR,
            title={"en": "The seminar"},
            body={"en": "Come to the hall."},
            settings={"event_id": event.id},
        )
    )
    session.commit()
    return course
