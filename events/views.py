"""The attendee's event pages: what is open to me, register or cancel in one click, my ticket."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from events import registration as registering
from events.forms import KIND_LABELS, REGISTRATION_STATUS_LABELS, ActionForm
from events.models import AudienceMode, Event, EventSession, EventStatus, Registration, RegistrationStatus
from events.tickets import display_code, qr_svg, session_calendar
from lms.audit import trail
from lms.database import utcnow
from lms.extensions import db, limiter
from lms.i18n import current_locale

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.before_request
@login_required
def _signed_in():
    """Every attendee page needs a signed-in person."""


def _signed_in_person() -> str:
    """Rate-limit key: the person, not the address (a campus shares one address at registration time)."""
    return f"events:{current_user.id}"


@bp.context_processor
def labels():
    return {
        "kind_label": lambda k: KIND_LABELS.get(k, k),
        "registration_status_label": lambda s: REGISTRATION_STATUS_LABELS.get(s, s),
    }


def _visible_event_or_404(event_id: int) -> Event:
    """A published event whose audience includes me; 404 for any other (no hint it exists)."""
    event = db.session.get(Event, event_id)
    if (
        event is None
        or event.status != EventStatus.PUBLISHED
        or not registering.in_audience(db.session, event, current_user)
    ):
        abort(404)
    return event


def _my_registrations(session_ids: list[int]) -> dict[int, Registration]:
    rows = db.session.scalars(
        select(Registration).where(Registration.session_id.in_(session_ids), Registration.user_id == current_user.id)
    )
    return {r.session_id: r for r in rows}


@bp.route("/")
def index():
    """The events open to me with sessions to come, the ones I must attend first."""
    now = utcnow()
    events = db.session.scalars(
        select(Event)
        .where(Event.status == EventStatus.PUBLISHED, Event.sessions.any(EventSession.starts_at > now))
        .options(selectinload(Event.sessions))
    ).all()
    mine = [e for e in events if registering.in_audience(db.session, e, current_user)]
    mine.sort(key=lambda e: (e.audience_mode != AudienceMode.MUST_ATTEND, min(s.starts_at for s in e.sessions)))
    registrations = _my_registrations([s.id for e in mine for s in e.sessions])
    return render_template("events/index.html", events=mine, registrations=registrations, now=now, form=ActionForm())


@bp.route("/<int:event_id>")
def show(event_id: int):
    """The event, its sessions, and my ticket (QR code and short code) for the sessions I registered for."""
    event = _visible_event_or_404(event_id)
    now = utcnow()
    registrations = _my_registrations([s.id for s in event.sessions])
    tickets = {
        r.session_id: {"code": display_code(r.ticket_code), "qr": qr_svg(r.ticket_code)}
        for r in registrations.values()
        if r.status in (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)
    }
    ranks = {r.session_id: registering.waiting_rank(db.session, r) for r in registrations.values()}
    open_now = {s.id: registering.registration_open(event, s, now) for s in event.sessions}
    return render_template(
        "events/show.html",
        event=event,
        registrations=registrations,
        tickets=tickets,
        ranks=ranks,
        open_now=open_now,
        taken={s.id: registering.places_taken(db.session, s.id) for s in event.sessions},
        now=now,
        form=ActionForm(),
    )


def _session_of(event: Event, session_id: int) -> EventSession:
    event_session = db.session.get(EventSession, session_id)
    if event_session is None or event_session.event_id != event.id:
        abort(404)
    return event_session


@bp.route("/<int:event_id>/sessions/<int:session_id>/register", methods=["POST"])
@limiter.limit("30 per minute", key_func=_signed_in_person)
def register(event_id: int, session_id: int):
    """Take a place (or a place on the waiting list); the ticket comes by e-mail."""
    event = _visible_event_or_404(event_id)
    event_session = _session_of(event, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        registration = registering.register(db.session, event_session, current_user, utcnow())
    except registering.RegistrationClosed:
        flash(_("Registration for this session is closed."), "warning")
        return redirect(url_for("events.show", event_id=event.id))
    trail.record(db.session, "event.register", event, details={"session": session_id, "status": registration.status})
    db.session.commit()
    if registration.status == RegistrationStatus.WAITING:
        flash(_("The session is full: you are on the waiting list. We will e-mail you if a place frees up."), "info")
    else:
        flash(_("You are registered. Your ticket is below and in your e-mail."), "success")
    return redirect(url_for("events.show", event_id=event.id, _anchor=f"session-{session_id}"))


@bp.route("/<int:event_id>/sessions/<int:session_id>/cancel", methods=["POST"])
@limiter.limit("30 per minute", key_func=_signed_in_person)
def cancel(event_id: int, session_id: int):
    """Give my place back (or leave the waiting list); the next person in line moves up."""
    event = _visible_event_or_404(event_id)
    event_session = _session_of(event, session_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    registration = registering.registration_of(db.session, event_session.id, current_user.id)
    if registration is not None:  # none: a second click, or never registered; nothing to cancel
        registering.cancel(db.session, registration, utcnow())
    trail.record(db.session, "event.cancel_registration", event, details={"session": session_id})
    db.session.commit()
    flash(_("Your registration is cancelled."), "success")
    return redirect(url_for("events.show", event_id=event.id))


@bp.route("/<int:event_id>/sessions/<int:session_id>/invite.ics")
def calendar_file(event_id: int, session_id: int):
    """The session for my calendar (the same UID as the e-mailed invitation, so it updates)."""
    event = _visible_event_or_404(event_id)
    event_session = _session_of(event, session_id)
    data = session_calendar(event_session, current_locale())
    return Response(
        data,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="event-{event.id}-{session_id}.ics"'},
    )
