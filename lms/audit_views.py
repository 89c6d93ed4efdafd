"""The audit log pages for the office: filter, page through, export as CSV."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from lms import audit
from lms.accounts import find_user_by_email
from lms.exports import export_response
from lms.extensions import db
from lms.models import AuditEvent, Role
from lms.navigation import add_nav_item
from lms.people_forms import AuditFilterForm
from lms.permissions import require_role, university_wide

bp = Blueprint("audit", __name__, url_prefix="/office/audit")

OFFICE = (Role.OFFICER, Role.ADMIN)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "audit.events", _l("Audit log"), roles=OFFICE, section="office", university_wide=True)


def _filtered_query(form: AuditFilterForm):
    """The events select for the filters in ``form``; dates are days in the university's time zone.

    The bounds are converted to UTC, as stored (SQLite compares the naive text).
    """
    zone = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    since = until = None
    if form.since.data:
        since = datetime.combine(form.since.data, time.min, zone).astimezone(UTC)
    if form.until.data:
        until = datetime.combine(form.until.data + timedelta(days=1), time.min, zone).astimezone(UTC)
    actor_id = None
    if form.actor.data:
        actor = find_user_by_email(db.session, form.actor.data)
        actor_id = actor.id if actor else -1  # an unknown actor matches no event
    return audit.events_query(
        action=(form.action.data or "").strip() or None,
        actor_id=actor_id,
        since=since,
        until=until,
    )


@bp.route("/")
@require_role(*OFFICE)
@university_wide
def events():
    """The newest events first, a page at a time."""
    form = AuditFilterForm(request.args)
    form.validate()
    query = _filtered_query(form).options(joinedload(AuditEvent.actor))
    page = db.paginate(query, per_page=50, max_per_page=200)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("lms/audit_events.html", form=form, page=page, args=args)


@bp.route("/export.csv")
@require_role(*OFFICE)
@university_wide
def export():
    """The filtered events as a CSV download, streamed a thousand rows at a time."""
    form = AuditFilterForm(request.args)
    form.validate()
    query = _filtered_query(form)
    audit.record(db.session, "audit.export", details={k: v for k, v in request.args.items() if v})
    db.session.commit()
    records = audit.export_records(db.session, query)
    return export_response("csv", "adal-audit", "Audit", audit.AUDIT_COLUMNS, records)
