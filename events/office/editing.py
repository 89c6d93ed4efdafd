"""The office's changes to events and sessions, and what they tell the people registered.

Times are typed in the university's time zone and stored in UTC. A session whose time, length
or place changes gets a higher calendar SEQUENCE and everyone registered gets the update; a
cancelled session sends a calendar cancellation; more places move the waiting list up.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from campaigns.editing import audience_from_form
from courses.audience.rules import AudienceError
from events import notices
from events.forms import EventForm, SessionForm
from events.models import Event, EventSession, EventStatus, SessionStatus
from events.registration import lock_session, promote_waiting
from events.tickets import new_ics_uid
from lms.config import LOCALES
from lms.database import utcnow

#: What, changed, makes the session's calendar entry out of date.
CALENDAR_FIELDS = ("starts_at", "duration_minutes", "room", "online_url")


def to_utc(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    """A wall time typed in the university's zone, as the UTC time it means."""
    return value.replace(tzinfo=tz).astimezone(ZoneInfo("UTC")) if value else None


def to_local(value: datetime | None, tz: ZoneInfo) -> datetime | None:
    """A stored UTC time as the wall time a form shows (no zone)."""
    return value.astimezone(tz).replace(tzinfo=None) if value else None


def _per_locale(form, prefix: str) -> dict:
    return {code: text.strip() for code in LOCALES if (text := form[f"{prefix}_{code}"].data or "").strip()}


def apply_event_form(session: Session, event: Event, form: EventForm, tz: ZoneInfo) -> bool:
    """Copy the form into ``event``; False (errors on the form) when the title or the audience is wrong."""
    try:
        audience = audience_from_form(session, form)
    except AudienceError as error:
        form.audience_kind.errors.append(str(error))
        return False
    title = _per_locale(form, "title")
    if not title:
        form.title_kk.errors.append(_("Give the event a title in at least one language."))
        return False
    opens, closes = to_utc(form.registration_opens_at.data, tz), to_utc(form.registration_closes_at.data, tz)
    if opens and closes and closes <= opens:
        form.registration_closes_at.errors.append(_("Registration must close after it opens."))
        return False
    event.title, event.description = title, _per_locale(form, "description")
    event.certificate_text = _per_locale(form, "certificate")
    event.kind, event.audience, event.audience_mode = form.kind.data, audience, form.audience_mode.data
    event.registration_opens_at, event.registration_closes_at = opens, closes
    event.capacity = form.capacity.data
    event.feedback_anonymous = form.feedback_anonymous.data
    return True


def fill_event_form(form: EventForm, event: Event, tz: ZoneInfo) -> None:
    for prefix, texts in (
        ("title", event.title),
        ("description", event.description),
        ("certificate", event.certificate_text),
    ):
        for code in LOCALES:
            form[f"{prefix}_{code}"].data = (texts or {}).get(code, "")
    form.fill_audience(event.audience or {"kind": "all"})
    form.kind.data, form.audience_mode.data = event.kind, event.audience_mode
    form.registration_opens_at.data = to_local(event.registration_opens_at, tz)
    form.registration_closes_at.data = to_local(event.registration_closes_at, tz)
    form.capacity.data, form.feedback_anonymous.data = event.capacity, event.feedback_anonymous


def publish(event: Event) -> None:
    """Show the event to its audience; "registration is open" goes out when registration opens."""
    event.status = EventStatus.PUBLISHED
    event.published_at = event.published_at or utcnow()


def _safe_link(form: SessionForm) -> bool:
    url = (form.online_url.data or "").strip()
    if url and not url.lower().startswith(("https://", "http://")):
        form.online_url.errors.append(_("The link must start with https://."))
        return False
    return True


def new_session(session: Session, event: Event, form: SessionForm, tz: ZoneInfo) -> EventSession | None:
    """Add a session to the event from the form (``None`` with errors on the form)."""
    if not _safe_link(form):
        return None
    event_session = EventSession(event=event, ics_uid=new_ics_uid())
    _copy_session_form(event_session, form, tz)
    session.add(event_session)
    session.flush()
    return event_session


def update_session(session: Session, event_session: EventSession, form: SessionForm, tz: ZoneInfo) -> bool | None:
    """Change a session; returns whether people were told (``None``: the form has errors).

    A change of time or place raises the calendar SEQUENCE and sends the update to everyone
    registered; more places move people up from the waiting list.
    """
    if not _safe_link(form):
        return None
    event_session = lock_session(session, event_session.id)
    before = [getattr(event_session, name) for name in CALENDAR_FIELDS]
    _copy_session_form(event_session, form, tz)
    moved = before != [getattr(event_session, name) for name in CALENDAR_FIELDS]
    if moved and event_session.status == SessionStatus.SCHEDULED:
        event_session.ics_sequence += 1
        event_session.day_reminder_at = event_session.hour_reminder_at = None
        session.flush()
        notices.send_session_moved(session, event_session)
    session.flush()
    promote_waiting(session, event_session)
    return moved


def cancel_session(session: Session, event_session: EventSession) -> int:
    """Call the session off; everyone registered or waiting is told. Returns how many people."""
    event_session = lock_session(session, event_session.id)
    if event_session.status == SessionStatus.CANCELLED:
        return 0
    event_session.status = SessionStatus.CANCELLED
    event_session.ics_sequence += 1
    session.flush()
    return notices.send_session_cancelled(session, event_session)


def cancel_event(session: Session, event: Event) -> int:
    """Call the whole event off: each session still scheduled is cancelled and its people told."""
    told = sum(cancel_session(session, s) for s in event.sessions if s.status == SessionStatus.SCHEDULED)
    event.status = EventStatus.CANCELLED
    return told


def _copy_session_form(event_session: EventSession, form: SessionForm, tz: ZoneInfo) -> None:
    event_session.starts_at = to_utc(form.starts_at.data, tz)
    event_session.duration_minutes = form.duration_minutes.data
    event_session.room = (form.room.data or "").strip()
    event_session.online_url = (form.online_url.data or "").strip()
    event_session.speakers = (form.speakers.data or "").strip()
    event_session.capacity = form.capacity.data


def fill_session_form(form: SessionForm, event_session: EventSession, tz: ZoneInfo) -> None:
    form.starts_at.data = to_local(event_session.starts_at, tz)
    form.duration_minutes.data = event_session.duration_minutes
    form.room.data, form.online_url.data = event_session.room, event_session.online_url
    form.speakers.data, form.capacity.data = event_session.speakers, event_session.capacity
