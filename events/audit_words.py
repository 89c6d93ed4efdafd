"""The events' audit events in words, registered from ``events.init_app`` through ``lms.audit``."""

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from events.models import Event
from lms.audit.trail import Piece, add_action_group, add_sentence, add_target
from lms.database import localized


def init_app(app: Flask) -> None:
    """Register the events group, its sentences, and how an event is named and linked."""
    add_target(app, "event", load_events)
    add_action_group(app, "events", _l("Events"))
    for action, template in (
        ("event.create", _l("%(actor)s created the event %(target)s")),
        ("event.edit", _l("%(actor)s edited the event %(target)s")),
        ("event.publish", _l("%(actor)s published the event %(target)s")),
        ("event.cancel", _l("%(actor)s cancelled the event %(target)s, telling %(people)s people")),
        ("event.session", _l("%(actor)s saved a session of the event %(target)s")),
        (
            "event.session_cancel",
            _l("%(actor)s cancelled a session of the event %(target)s, telling %(people)s people"),
        ),
        ("event.register", _l("%(actor)s registered for the event %(target)s")),
        ("event.cancel_registration", _l("%(actor)s cancelled their registration for the event %(target)s")),
    ):
        add_sentence(app, action, template, "events")


def load_events(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Events by id: their title in ``locale`` linking to the office's page (one query)."""
    wanted = [int(i) for i in ids if str(i).isdigit()]
    rows = session.execute(select(Event.id, Event.title).where(Event.id.in_(wanted)))
    return {
        str(row.id): {"target": Piece(localized(row.title, locale)[0], url_for("events_office.show", event_id=row.id))}
        for row in rows
    }
