"""The audit log pages for the office: events told in words, filtered, a page at a time, and as CSV."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from lms.audit import trail, words
from lms.exports import export_response
from lms.extensions import db
from lms.i18n import current_locale
from lms.navigation import add_nav_item
from lms.people.directory import PeopleFilter, people_query
from lms.people.forms import AuditFilterForm
from lms.permissions import OFFICE_ROLES, require_role, university_wide

bp = Blueprint("audit", __name__, url_prefix="/office/audit")

PER_PAGE = 50


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "audit.events", _l("Audit log"), roles=OFFICE_ROLES, section="office", university_wide=True)
    words.init_app(app)


def _filters() -> AuditFilterForm:
    """The filter form read from the query string, its action choices the registered groups."""
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _l("Any action")), *trail.action_groups()]
    form.validate()
    return form


def _filtered_query(form: AuditFilterForm):
    """The events select for the filters in ``form``; dates are days in the university's time zone.

    The bounds are converted to UTC, as stored (SQLite compares the naive text). The person is
    matched by name or e-mail as on the people page (the same ``people_query``); an unknown
    action group or an invalid date narrows nothing.
    """
    zone = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    since = until = None
    if form.since.data and not form.since.errors:
        since = datetime.combine(form.since.data, time.min, zone).astimezone(UTC)
    if form.until.data and not form.until.errors:
        until = datetime.combine(form.until.data + timedelta(days=1), time.min, zone).astimezone(UTC)
    actors = None
    if (form.person.data or "").strip() and not form.person.errors:
        people = people_query(db.session, current_user, PeopleFilter(q=form.person.data, active="")).subquery()
        actors = select(people.c.id)
    actions = None
    if form.action.data and not form.action.errors:
        actions = trail.group_actions(form.action.data)
    return trail.events_query(actions=actions, actors=actors, since=since, until=until)


@bp.route("/")
@require_role(*OFFICE_ROLES)
@university_wide
def events():
    """The newest events first, each a sentence linking to its people and objects, a page at a time."""
    form = _filters()
    page = db.paginate(_filtered_query(form), per_page=PER_PAGE, max_per_page=200)
    told = trail.tell(db.session, page.items, current_locale())
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("lms/audit_events.html", form=form, page=page, told=told, args=args)


@bp.route("/export.csv")
@require_role(*OFFICE_ROLES)
@university_wide
def export():
    """The filtered events as a CSV download in the reader's language, streamed a thousand at a time."""
    form = _filters()
    query = _filtered_query(form)
    trail.record(db.session, "audit.export", details={k: v for k, v in request.args.items() if v})
    db.session.commit()
    records = trail.export_records(db.session, query, current_locale())
    return export_response("csv", "adal-audit", "Audit", trail.export_header(), records)
