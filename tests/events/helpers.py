"""Building events for tests, and reading what their e-mails say (reused by the check-in tests)."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

from icalendar import Calendar
from sqlalchemy import select

from events.models import Event, EventSession, EventStatus, Registration
from events.tickets import new_ics_uid
from lms.database import utcnow
from lms.mail.delivery import DeliverySettings, deliver_outbox
from lms.models import OutboxMessage


def make_event(session, *, capacity=20, starts_in=timedelta(days=3), sessions=1, audience=None, **fields) -> Event:
    """A published event open to everyone now, with ``sessions`` sessions of ``capacity`` places."""
    event = Event(
        title=fields.pop("title", {"en": "Integrity seminar", "ru": "Семинар о честности", "kk": "Адалдық семинары"}),
        description=fields.pop("description", {"en": "Gifts, conflicts of interest and how to say no."}),
        audience=audience or {"kind": "all"},
        status=fields.pop("status", EventStatus.PUBLISHED),
        capacity=capacity,
        **fields,
    )
    for n in range(sessions):
        event.sessions.append(
            EventSession(
                starts_at=(utcnow() + starts_in + timedelta(days=n)).replace(second=0, microsecond=0),
                duration_minutes=90,
                room="Main building, room 204",
                speakers="A. Seitkali",
                capacity=capacity,
                ics_uid=new_ics_uid(),
            )
        )
    session.add(event)
    session.commit()
    return event


def registrations(session, event_session: EventSession) -> list[Registration]:
    session.expire_all()
    return list(session.scalars(select(Registration).where(Registration.session_id == event_session.id)))


def outbox_to(session, address: str) -> list[OutboxMessage]:
    """The e-mails queued for ``address``, oldest first."""
    session.expire_all()
    return list(
        session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == address).order_by(OutboxMessage.id))
    )


def deliver_to(session, server) -> list[email.message.EmailMessage]:
    """Send the outbox to the real SMTP test server; every message it holds, parsed."""
    deliver_outbox(
        session,
        DeliverySettings(
            smtp_url=server.url,
            mail_from="Adal <compliance@metu.kz>",
            retry_seconds=0.0,
            lease_seconds=60.0,
            timeout=10.0,
        ),
    )
    return server.messages()


def calendar_of(message: email.message.EmailMessage) -> Calendar | None:
    """The attached calendar (``invite.ics``) of a received e-mail, parsed, if it has one."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return Calendar.from_ical(part.get_payload(decode=True))
    return None


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)
