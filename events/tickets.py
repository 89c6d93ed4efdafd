"""Tickets: the short code read aloud or typed at the door, its QR code, and the calendar invitation.

The code uses an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B), so a code read from
a phone screen or a printed sheet is typed right the first time. Eight characters of 25 give
about 1.5 × 10^11 codes: guessing a valid one is hopeless, and a clash is simply drawn again.
"""

from __future__ import annotations

import base64
import io
import secrets
from datetime import timedelta

import segno
from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import select
from sqlalchemy.orm import Session

from events.links import absolute_url
from events.models import EventSession, Registration, SessionStatus
from lms.database import localized, utcnow

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 8


def new_ticket_code(session: Session) -> str:
    """A ticket code no registration has yet."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(Registration.id).where(Registration.ticket_code == code)) is None:
            return code


def normalize_code(typed: str) -> str:
    """The code as stored, from what someone typed: case, spaces and dashes do not matter."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def display_code(code: str) -> str:
    """The code in two halves, easier to read aloud: ``ACDE-FGHJ``."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def qr_svg(code: str) -> str:
    """The QR code of the ticket (it holds the code alone, which the door's scanner looks up).

    Always a full QR code: for eight characters ``segno.make`` would choose a Micro QR, which phone
    cameras, BarcodeDetector and jsQR do not read.
    """
    return segno.make_qr(code, error="m").svg_inline(scale=7, border=2, svgclass="segno ticket-qr")


def qr_png_data_uri(code: str) -> str:
    """The QR code as a PNG data URI, for e-mail clients that show no inline SVG."""
    return segno.make_qr(code, error="m").png_data_uri(scale=6, border=2)


def qr_attachment(code: str) -> dict:
    """The QR code as an attached PNG, for e-mail clients that hide images inside the message."""
    buffer = io.BytesIO()
    segno.make_qr(code, error="m").save(buffer, kind="png", scale=8, border=2)
    return {
        "filename": "ticket-qr.png",
        "content_type": "image/png",
        "data": base64.b64encode(buffer.getvalue()).decode(),
    }


def new_ics_uid() -> str:
    """A calendar UID for a new session: random, so it says nothing about the database."""
    domain = current_app.config["ADAL_MAIL_FROM"].rsplit("@", 1)[-1].strip(">") or "adal.local"
    return f"{secrets.token_hex(12)}@{domain}"


def session_calendar(
    event_session: EventSession, locale: str, method: str = "PUBLISH", attendee=None, organizer: str = ""
) -> bytes:
    """The session as an iCalendar file: PUBLISH to download, REQUEST to invite, CANCEL to call off.

    Calendars recognise the session by its UID and apply the change with the highest SEQUENCE,
    so a moved session moves in the calendar and a cancelled one disappears.
    """
    event = event_session.event
    calendar = Calendar()
    calendar.add("prodid", "-//Adal//events//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    entry = Event()
    entry.add("uid", event_session.ics_uid)
    entry.add("sequence", event_session.ics_sequence)
    entry.add("dtstamp", utcnow())
    entry.add("dtstart", event_session.starts_at)
    entry.add("dtend", event_session.starts_at + timedelta(minutes=event_session.duration_minutes))
    entry.add("summary", localized(event.title, locale)[0])
    description = localized(event.description, locale)[0]
    if event_session.speakers:
        description = f"{event_session.speakers}\n\n{description}".strip()
    entry.add("description", description)
    location = ", ".join(part for part in (event_session.room, event_session.online_url) if part)
    if location:
        entry.add("location", location)
    entry.add("url", absolute_url("events.show", event_id=event.id))
    cancelled = method == "CANCEL" or event_session.status == SessionStatus.CANCELLED
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if organizer:
        entry.add("organizer", vCalAddress(f"mailto:{organizer}"))
    if attendee is not None:
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = vText(attendee.full_name)
        address.params["role"] = vText("REQ-PARTICIPANT")
        entry.add("attendee", address)
    calendar.add_component(entry)
    return calendar.to_ical()


def ics_attachment(data: bytes, method: str) -> dict:
    """An outbox attachment of an iCalendar file (``lms.mail.outbox`` attachments)."""
    return {
        "filename": "invite.ics",
        "content_type": f"text/calendar; method={method}",
        "data": base64.b64encode(data).decode(),
    }
