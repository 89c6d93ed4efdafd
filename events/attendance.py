"""Attendance wired into the app: the door's pages, the audit's words, and what courses may ask about events."""

from __future__ import annotations

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.learning import seminars
from events.checkin import door
from events.checkin import views as checkin_views
from events.feedback import views as feedback_views
from events.models import Event, EventStatus, SessionStatus
from events.office import downloads
from lms.audit.trail import add_sentence
from lms.database import localized


def init_app(app: Flask) -> None:
    app.register_blueprint(checkin_views.bp)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(feedback_views.bp)
    seminars.register_event_directory(
        app, seminars.EventDirectory(choices=event_choices, describe=describe_event, attended_at=door.attended_at)
    )
    for action, template in (
        ("event.check_in", _l("%(actor)s checked in %(name)s at the door")),
        ("event.walk_in", _l("%(actor)s added %(name)s at the door without a ticket")),
        ("event.registrations_export", _l("%(actor)s downloaded the registrations of a session as %(format)s")),
    ):
        add_sentence(app, action, template, "events")


def event_choices(session: Session, locale: str) -> list[tuple[int, str]]:
    """Events a seminar module may point to: every one not cancelled, newest first."""
    events = session.scalars(select(Event).where(Event.status != EventStatus.CANCELLED).order_by(Event.id.desc()))
    return [(event.id, localized(event.title, locale)[0] or f"#{event.id}") for event in events]


def describe_event(session: Session, event_id: int, locale: str) -> dict | None:
    """The event as a learner's seminar step shows it, if they may see it (published)."""
    event = session.get(Event, event_id)
    if event is None or event.status != EventStatus.PUBLISHED:
        return None
    return {
        "title": localized(event.title, locale)[0],
        "url": url_for("events.show", event_id=event.id),
        "sessions": [s.starts_at for s in event.sessions if s.status == SessionStatus.SCHEDULED],
    }
