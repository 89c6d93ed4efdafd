"""The office's event pages: the list, an event with its sessions, editing, registrations."""

from collections import Counter
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from courses.audience.rules import count_audience, describe_rule
from events.forms import (
    EVENT_STATUS_LABELS,
    KIND_LABELS,
    MODE_LABELS,
    REGISTRATION_STATUS_LABELS,
    SESSION_STATUS_LABELS,
    ActionForm,
    EventForm,
    SessionForm,
)
from events.models import HOLDS_PLACE, Event, EventSession, EventStatus, Registration
from events.office import editing
from lms.audit import trail
from lms.extensions import db
from lms.i18n import current_locale
from lms.models import OrgUnit
from lms.permissions import OFFICE_ROLES, require_role, scope_paths
from lms.units.tree import unit_choices

bp = Blueprint("events_office", __name__, url_prefix="/office/events")


@bp.before_request
def _whole_university_only():
    """Events are announced across the university: not for officers scoped to a unit."""
    if current_user.is_authenticated and current_user.has_role(*OFFICE_ROLES) and scope_paths(current_user) is not None:
        abort(403)


@bp.context_processor
def labels():
    return {
        "kind_label": lambda k: KIND_LABELS.get(k, k),
        "mode_label": lambda m: MODE_LABELS.get(m, m),
        "event_status_label": lambda s: EVENT_STATUS_LABELS.get(s, s),
        "session_status_label": lambda s: SESSION_STATUS_LABELS.get(s, s),
        "registration_status_label": lambda s: REGISTRATION_STATUS_LABELS.get(s, s),
    }


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["ADAL_TIMEZONE"])


def _session_or_404(event: Event, session_id: int) -> EventSession:
    event_session = db.session.get(EventSession, session_id)
    if event_session is None or event_session.event_id != event.id:
        abort(404)
    return event_session


def _event_form(**kwargs) -> EventForm:
    form = EventForm(**kwargs)
    form.audience_unit.choices = unit_choices(db.session.scalars(select(OrgUnit).order_by(OrgUnit.path)))
    return form


def status_counts(session_ids: list[int]) -> dict[int, dict[str, int]]:
    """For each session, how many registrations are in each status (one query)."""
    rows = db.session.execute(
        select(Registration.session_id, Registration.status, func.count(Registration.id))
        .where(Registration.session_id.in_(session_ids))
        .group_by(Registration.session_id, Registration.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for session_id, status, count in rows:
        counts.setdefault(session_id, {})[status] = count
    return counts


@bp.route("/")
@require_role(*OFFICE_ROLES)
def index():
    """Every event, newest first, with its sessions and how many people registered."""
    page = db.paginate(select(Event).order_by(Event.created_at.desc()), per_page=25)
    counts = status_counts([s.id for event in page.items for s in event.sessions])
    totals = {event.id: sum((Counter(counts.get(s.id, {})) for s in event.sessions), Counter()) for event in page.items}
    return render_template("events/office_index.html", page=page, totals=totals)


@bp.route("/new", methods=["GET", "POST"])
@require_role(*OFFICE_ROLES)
def new():
    """Create a draft event; its sessions come next."""
    form = _event_form()
    if form.validate_on_submit():
        event = Event(created_by_id=current_user.id)
        if editing.apply_event_form(db.session, event, form, _tz()):
            db.session.add(event)
            db.session.flush()
            trail.record(db.session, "event.create", event)
            db.session.commit()
            return redirect(url_for("events_office.new_session", event_id=event.id))
    return render_template("events/office_edit.html", form=form, event=None)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@require_role(*OFFICE_ROLES)
def edit(event_id: int):
    """Change the event's title, audience, registration window and places."""
    event = db.get_or_404(Event, event_id)
    form = _event_form()
    if request.method == "GET":
        editing.fill_event_form(form, event, _tz())
    if form.validate_on_submit() and editing.apply_event_form(db.session, event, form, _tz()):
        trail.record(db.session, "event.edit", event)
        db.session.commit()
        return redirect(url_for("events_office.show", event_id=event.id))
    return render_template("events/office_edit.html", form=form, event=event)


@bp.route("/<int:event_id>")
@require_role(*OFFICE_ROLES)
def show(event_id: int):
    """The event: its audience, its sessions with places taken and the waiting list."""
    event = db.get_or_404(Event, event_id)
    counts = status_counts([s.id for s in event.sessions])
    audience = describe_rule(event.audience, current_locale())
    return render_template(
        "events/office_show.html",
        event=event,
        counts=counts,
        audience=audience,
        audience_size=count_audience(db.session, event.audience),
        people_registered=registered_people(event),
        form=ActionForm(),
    )


def registered_people(event: Event) -> int:
    """How many people hold a place in any session of the event (each counted once)."""
    return db.session.scalar(
        select(func.count(func.distinct(Registration.user_id))).where(
            Registration.session_id.in_([s.id for s in event.sessions]), Registration.status.in_(HOLDS_PLACE)
        )
    )


@bp.route("/<int:event_id>/publish", methods=["POST"])
@require_role(*OFFICE_ROLES)
def publish(event_id: int):
    """Show the event to its audience; they hear "registration is open" when it opens."""
    event = db.get_or_404(Event, event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if event.status != EventStatus.DRAFT or not event.sessions:
        flash(_("Only a draft event with at least one session can be published."), "warning")
    else:
        editing.publish(event)
        trail.record(db.session, "event.publish", event)
        db.session.commit()
        flash(_("The event is published."), "success")
    return redirect(url_for("events_office.show", event_id=event.id))


@bp.route("/<int:event_id>/cancel", methods=["POST"])
@require_role(*OFFICE_ROLES)
def cancel(event_id: int):
    """Call the whole event off; everyone registered or waiting is told, calendars drop its sessions."""
    event = db.get_or_404(Event, event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    told = editing.cancel_event(db.session, event)
    trail.record(db.session, "event.cancel", event, details={"people": told})
    db.session.commit()
    flash(_("The event is cancelled; everyone registered or waiting is told."), "success")
    return redirect(url_for("events_office.show", event_id=event.id))


@bp.route("/<int:event_id>/sessions/new", methods=["GET", "POST"], defaults={"session_id": None})
@bp.route("/<int:event_id>/sessions/<int:session_id>", methods=["GET", "POST"])
@require_role(*OFFICE_ROLES)
def new_session(event_id: int, session_id: int | None):
    """Add a session, or change one (a change of time or place tells everyone registered)."""
    event = db.get_or_404(Event, event_id)
    event_session = _session_or_404(event, session_id) if session_id else None
    form = SessionForm(capacity=event.capacity)
    if request.method == "GET" and event_session is not None:
        editing.fill_session_form(form, event_session, _tz())
    if form.validate_on_submit():
        if event_session is None:
            event_session = editing.new_session(db.session, event, form, _tz())
            told = False
        else:
            told = editing.update_session(db.session, event_session, form, _tz())
        if event_session is not None and told is not None:
            trail.record(db.session, "event.session", event, details={"session": event_session.id})
            db.session.commit()
            if told:
                flash(_("The session has changed: everyone registered gets the calendar update."), "success")
            return redirect(url_for("events_office.show", event_id=event.id))
    return render_template("events/office_session.html", form=form, event=event, event_session=event_session)


@bp.route("/<int:event_id>/sessions/<int:session_id>/cancel", methods=["POST"])
@require_role(*OFFICE_ROLES)
def cancel_session(event_id: int, session_id: int):
    """Call a session off; everyone registered or waiting is told, calendars drop it."""
    event = db.get_or_404(Event, event_id)
    event_session = _session_or_404(event, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    told = editing.cancel_session(db.session, event_session)
    trail.record(db.session, "event.session_cancel", event, details={"session": session_id, "people": told})
    db.session.commit()
    flash(
        ngettext(
            "The session is cancelled; %(num)s person is told.",
            "The session is cancelled; %(num)s people are told.",
            told,
        ),
        "success",
    )
    return redirect(url_for("events_office.show", event_id=event.id))


@bp.route("/<int:event_id>/sessions/<int:session_id>/registrations")
@require_role(*OFFICE_ROLES)
def registrations(event_id: int, session_id: int):
    """Everyone who registered for the session, waiting or cancelled, with their status and check-in."""
    event = db.get_or_404(Event, event_id)
    event_session = _session_or_404(event, session_id)
    rows = db.session.scalars(
        select(Registration)
        .where(Registration.session_id == event_session.id)
        .options(selectinload(Registration.user))
        .order_by(Registration.status, Registration.waiting_position, Registration.id)
    ).all()
    counts = status_counts([event_session.id]).get(event_session.id, {})
    return render_template(
        "events/office_registrations.html", event=event, event_session=event_session, rows=rows, counts=counts
    )
