"""The e-mails of events, written to the outbox in the transaction that decided them.

Every e-mail has a dedup key naming its reason, so a reason never sends twice: a ticket per
registration (renewed registrations get a new one), a calendar update per SEQUENCE of the session.
Tickets carry the session as a calendar invitation (``METHOD:REQUEST``); a cancelled session
sends ``METHOD:CANCEL`` with the same UID.
"""

from __future__ import annotations

import enum

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from events.links import absolute_url
from events.models import Event, EventSession, Registration, RegistrationStatus
from events.tickets import display_code, ics_attachment, qr_attachment, qr_png_data_uri, session_calendar
from lms.mail.outbox import enqueue_email

CATEGORY = "events"


class TicketReason(enum.StrEnum):
    REGISTERED = "registered"
    PROMOTED = "promoted"  #: moved up from the waiting list
    MOVED = "moved"  #: the session's time or place changed


HEADLINES = {
    TicketReason.REGISTERED: _l("You are registered. Here is your ticket."),
    TicketReason.PROMOTED: _l("A place has become free and it is yours: you are registered. Here is your ticket."),
    TicketReason.MOVED: _l("The session has changed. Your calendar invitation is updated; your ticket stays valid."),
}


def _context(registration: Registration) -> dict:
    event_session = registration.session
    return {
        "event": event_session.event,
        "event_session": event_session,
        "registration": registration,
        "code": display_code(registration.ticket_code),
        "link": absolute_url("events.show", event_id=event_session.event_id),
    }


def _invitation(registration: Registration, method: str) -> list[dict]:
    ics = session_calendar(
        registration.session,
        registration.user.locale,
        method=method,
        attendee=registration.user,
        organizer=current_app.config["ADAL_MAIL_FROM"].rsplit("<", 1)[-1].strip(">"),
    )
    return [ics_attachment(ics, method)]


def send_ticket(session: Session, registration: Registration, reason: TicketReason) -> None:
    """The ticket: short code, QR code, where and when, and the calendar invitation."""
    event_session = registration.session
    key = f"event-ticket:{registration.id}:{reason}:{registration.registered_at.timestamp():.0f}"
    if reason == TicketReason.MOVED:
        key = f"event-moved:{registration.id}:seq:{event_session.ics_sequence}"
    enqueue_email(
        session,
        registration.user,
        "event_ticket",
        key,
        category=CATEGORY,
        attachments=[*_invitation(registration, "REQUEST"), qr_attachment(registration.ticket_code)],
        headline=HEADLINES[reason],
        qr=qr_png_data_uri(registration.ticket_code),
        **_context(registration),
    )


def send_waiting(session: Session, registration: Registration) -> None:
    """The person is on the waiting list and will hear from us when a place frees up."""
    enqueue_email(
        session,
        registration.user,
        "event_waiting",
        f"event-waiting:{registration.id}:{registration.registered_at.timestamp():.0f}",
        category=CATEGORY,
        **_context(registration),
    )


def _people_of(session: Session, event_session: EventSession, statuses) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration).where(
                Registration.session_id == event_session.id,
                Registration.status.in_(statuses),
                Registration.user_id.is_not(None),
            )
        )
    )


def send_session_moved(session: Session, event_session: EventSession) -> int:
    """Everyone registered gets the new time or place, with the calendar update (higher SEQUENCE)."""
    registered = _people_of(session, event_session, (RegistrationStatus.REGISTERED,))
    for registration in registered:
        send_ticket(session, registration, TicketReason.MOVED)
    return len(registered)


def send_place_cancelled(session: Session, registration: Registration) -> None:
    """A person who gives up their place gets the calendar's ``METHOD:CANCEL``, so the entry leaves their calendar."""
    enqueue_email(
        session,
        registration.user,
        "event_cancelled",
        f"event-place-cancelled:{registration.id}:{registration.cancelled_at.timestamp():.0f}",
        category=CATEGORY,
        attachments=_invitation(registration, "CANCEL"),
        yours=True,
        **_context(registration),
    )


def send_session_cancelled(session: Session, event_session: EventSession) -> int:
    """Everyone registered or waiting hears the session is off; calendars drop it (``METHOD:CANCEL``)."""
    people = _people_of(session, event_session, (RegistrationStatus.REGISTERED, RegistrationStatus.WAITING))
    for registration in people:
        attachments = (
            _invitation(registration, "CANCEL") if registration.status == RegistrationStatus.REGISTERED else []
        )
        enqueue_email(
            session,
            registration.user,
            "event_cancelled",
            f"event-cancelled:{registration.id}:seq:{event_session.ics_sequence}",
            category=CATEGORY,
            attachments=attachments,
            **_context(registration),
        )
    return len(people)


def send_reminder(session: Session, registration: Registration, which: str) -> None:
    """ "Tomorrow" (``day``) or "in an hour" (``hour``), once each per registration."""
    enqueue_email(
        session,
        registration.user,
        "event_reminder",
        f"event-reminder:{which}:{registration.id}",
        category=CATEGORY,
        which=which,
        **_context(registration),
    )


def send_thanks(session: Session, registration: Registration) -> None:
    """Thank the person for coming and ask for their feedback (the form's link), once."""
    context = _context(registration) | {"link": absolute_url("event_feedback.give", session_id=registration.session_id)}
    enqueue_email(
        session, registration.user, "event_thanks", f"event-thanks:{registration.id}", category=CATEGORY, **context
    )


def send_registration_open(session: Session, event: Event, user) -> None:
    """ "Registration is open" to one person of the event's audience, once."""
    enqueue_email(
        session,
        user,
        "event_open",
        f"event-open:{event.id}:user:{user.id}",
        category=CATEGORY,
        event=event,
        link=absolute_url("events.show", event_id=event.id),
    )
