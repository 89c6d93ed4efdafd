"""The door's pages: the check-in page for a phone and the JSON endpoint its script sends check-ins to."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from events.checkin import door
from events.models import EventSession, Registration, RegistrationStatus
from lms.database import utcnow
from lms.extensions import db, limiter
from lms.permissions import OFFICE_ROLES, require_role, university_wide

bp = Blueprint("checkin", __name__, url_prefix="/office/events")

#: The check-in page uses the camera; every other page keeps it off (``lms.security``).
CAMERA_POLICY = "camera=(self), microphone=(), geolocation=()"


def event_session_or_404(session_id: int) -> EventSession:
    return db.get_or_404(EventSession, session_id)


def attendance_counts(event_session: EventSession) -> dict[str, int]:
    """How many of the session's places are taken and how many came in, for the page's header."""
    rows = db.session.execute(
        select(Registration.status, func.count())
        .where(Registration.session_id == event_session.id)
        .group_by(Registration.status)
    )
    counts = dict(rows.all())
    return {
        "attended": counts.get(RegistrationStatus.ATTENDED, 0),
        "expected": counts.get(RegistrationStatus.REGISTERED, 0) + counts.get(RegistrationStatus.ATTENDED, 0),
    }


@bp.route("/sessions/<int:session_id>/check-in")
@require_role(*OFFICE_ROLES)
@university_wide
def page(session_id: int):
    """The phone's page at the door: camera, typed code, walk-ins, and what is still to be sent."""
    event_session = event_session_or_404(session_id)
    messages = {
        "pending": _("Check-ins waiting for the connection: %(count)s", count="%(count)s"),
        "offline": _("No connection: check-ins are kept on this phone and sent when it returns."),
        "signedOut": _("The server did not accept the check-in: sign in again in another tab; nothing is lost."),
        "noCamera": _("The camera cannot be used here: type the ticket's code instead."),
        "counts": _(
            "Checked in: %(attended)s of %(expected)s expected.", attended="%(attended)s", expected="%(expected)s"
        ),
    }
    response = render_template(
        "events/checkin.html",
        event_session=event_session,
        event=event_session.event,
        counts=attendance_counts(event_session),
        messages=messages,
        post_url=url_for("checkin.record", session_id=event_session.id),
    )
    return response, 200, {"Permissions-Policy": CAMERA_POLICY, "Cache-Control": "no-store"}


@bp.route("/sessions/<int:session_id>/check-in", methods=["POST"])
@limiter.limit("600 per minute", key_func=lambda: f"checkin:{current_user.get_id()}")
@require_role(*OFFICE_ROLES)
@university_wide
def record(session_id: int):
    """One check-in from the page's queue (JSON): a ticket code or a walk-in's name, with its times."""
    event_session = event_session_or_404(session_id)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or data.get("kind") not in ("code", "walk_in"):
        abort(400)
    at = door.door_time(
        event_session,
        door.utc_from_client(data.get("scanned_at")),
        door.utc_from_client(data.get("sent_at")),
        utcnow(),
    )
    if data["kind"] == "code":
        code = data.get("code")
        if not isinstance(code, str) or not 0 < len(code) <= 40:
            abort(400)
        result = door.check_in_ticket(db.session, event_session, code, current_user, at)
    else:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            abort(400)
        result = door.add_walk_in(db.session, event_session, name, current_user, at)
    db.session.commit()
    registration = result.registration
    return jsonify(
        result=result.outcome,
        message=result.message,
        code=result.code,
        checked_in_at=registration.checked_in_at.isoformat() if registration and registration.checked_in_at else None,
        counts=attendance_counts(event_session),
    )
