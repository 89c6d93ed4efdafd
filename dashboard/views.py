"""The dashboard pages: the office's landing page, drill-downs by unit and course, the reports."""

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from courses.authoring.question_stats import quiz_question_stats
from courses.models import Module, ModuleKind
from courses.office.reports import STATE_LABELS
from courses.signatures import documents
from dashboard import activity, charts, drilldown, figures, reports
from dashboard.forms import DashboardFilterForm, ReportForm
from lms.audit import trail
from lms.database import localized, utcnow
from lms.exports import export_response
from lms.extensions import db
from lms.i18n import current_locale
from lms.models import OrgUnit
from lms.office_settings import office_contacts
from lms.people.directory import units_for
from lms.permissions import OFFICE_ROLES, require_role, scope_paths, university_wide
from lms.units.tree import unit_choices

bp = Blueprint("dashboard", __name__, url_prefix="/office/dashboard")

PER_PAGE = 50


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ADAL_TIMEZONE"])


def _filters(form_class=DashboardFilterForm, unit_id: int | None = None):
    """The page's filter form and what it means, limited to the viewer's units.

    A unit outside the viewer's units is not a choice, so guessing its id shows nothing of it.
    """
    form = form_class(request.args)
    locale = current_locale()
    units = units_for(db.session, current_user)
    form.unit.choices = [
        SelectChoice("", _("All my units")),
        *unit_choices(units),
    ]
    slugs = figures.mandatory_courses(db.session)
    titles = figures.course_titles(db.session, slugs, locale)
    form.course.choices = [SelectChoice("", _("Every mandatory course")), *(SelectChoice(s, titles[s]) for s in slugs)]
    if unit_id is not None:
        form.unit.data = str(unit_id)
    form.validate()
    valid_unit = not form.unit.errors
    since, until = form.period(_zone()) if not (form.since.errors or form.until.errors) else (None, None)
    filters = figures.DashboardFilters(
        scope=scope_paths(current_user),
        unit_id=form.unit_id() if valid_unit else None,
        since=since,
        until=until,
        course=form.course.data if form.course.data and not form.course.errors else None,
    )
    return form, filters


def _scope_label(filters: figures.DashboardFilters) -> str:
    unit = db.session.get(OrgUnit, filters.unit_id) if filters.unit_id else None
    if unit is not None:
        return unit.display_name(current_locale())
    return _("All my units") if filters.scope is not None else _("The whole university")


FILTER_ARGS = ("unit", "course", "since", "until")


def _args() -> dict:
    """The page's filters, to carry into its links and reports (nothing else from the URL)."""
    return {k: request.args[k] for k in FILTER_ARGS if request.args.get(k)}


@bp.route("/")
@require_role(*OFFICE_ROLES)
def index():
    """Completion per mandatory course, per unit, over time; what is due; who is behind; campaigns; signatures."""
    form, filters = _filters()
    dash = figures.dashboard(db.session, filters, current_locale(), _zone())
    return render_template(
        "dashboard/index.html",
        form=form,
        filters=filters,
        dash=dash,
        scope_label=_scope_label(filters),
        campaigns=activity.running_campaigns(db.session) if filters.scope is None else None,
        signatures=activity.signature_states(db.session, filters),
        signature_states=documents.STATES,
        signature_labels=documents.STATE_LABELS,
        charts={
            "courses": charts.completion_by_course(dash.courses),
            "units": charts.completion_by_unit(dash.courses),
            "trend": charts.completions_over_time(dash.trend, dash.titles),
        },
        week_label=charts.week_label,
        args=_args(),
    )


@bp.route("/units/<int:unit_id>")
@require_role(*OFFICE_ROLES)
def unit(unit_id: int):
    """A unit: its sub-units' completion and its people with their status per course."""
    unit = db.get_or_404(OrgUnit, unit_id)
    form, filters = _filters(unit_id=unit_id)
    if filters.unit_id != unit_id:
        abort(404)  # not one of the viewer's units
    locale = current_locale()
    dash = figures.dashboard(db.session, filters, locale, _zone())
    page = db.paginate(drilldown.people_query(filters), per_page=PER_PAGE, max_per_page=200)
    slugs = [course.slug for course in dash.courses]
    tree = figures.UnitTree.load(db.session)
    visible = {u.id for u in units_for(db.session, current_user)}
    return render_template(
        "dashboard/unit.html",
        unit=unit,
        ancestors=[u for u in tree.ancestors(unit) if u.id in visible],
        form=form,
        dash=dash,
        page=page,
        rows=drilldown.people_rows(db.session, page.items, slugs),
        state_labels=STATE_LABELS,
        args=_args(),
        base_args={k: v for k, v in _args().items() if k != "unit"},
    )


@bp.route("/courses/<slug>")
@require_role(*OFFICE_ROLES)
def course(slug: str):
    """A course: each module, how many finished it, and each quiz's attempts, leading to its questions."""
    form, filters = _filters()
    course, modules = drilldown.course_modules(db.session, filters, slug)
    if course is None:
        abort(404)
    return render_template(
        "dashboard/course.html",
        course=course,
        form=form,
        modules=modules,
        title=localized(course.title, current_locale())[0] or slug,
        args=_args(),
        quiz_kind=ModuleKind.QUIZ,
        stats_visible=filters.scope is None,
    )


@bp.route("/quizzes/<int:module_id>")
@require_role(*OFFICE_ROLES)
@university_wide
def quiz(module_id: int):
    """A quiz's questions: facility, discrimination, the wrong answer chosen most, per language.

    University-wide: the statistics cover every learner, not only a unit head's.
    """
    module = db.get_or_404(Module, module_id)
    if module.kind != ModuleKind.QUIZ:
        abort(404)
    stats = quiz_question_stats(db.session, module.id)
    return render_template(
        "dashboard/quiz.html",
        module=module,
        course=module.course,
        stats=sorted(stats.values(), key=lambda item: (not item.flagged, item.key)),
    )


def _report_context():
    form, filters = _filters(ReportForm)
    lang = form.lang.data if form.lang.data in ("kk", "ru", "en") else current_locale()
    return form, filters, lang


@bp.route("/report.<any(csv, xlsx, pdf):fmt>")
@require_role(*OFFICE_ROLES)
def report(fmt: str):
    """The completion report with the page's filters: a table per course and unit, or the PDF."""
    _form, filters, lang = _report_context()
    now = utcnow()
    with force_locale(lang):
        dash = figures.dashboard(db.session, filters, lang, _zone(), now)
        scope_label = _scope_label(filters)
        title = _("Completion report")
        trail.record(db.session, "dashboard.report", details={"format": fmt, **_args()})
        db.session.commit()
        if fmt == "pdf":
            university = localized(office_contacts(db.session)["university"], lang)[0]
            pdf = reports.report_pdf(dash, title, scope_label, now, university)
            return Response(
                pdf,
                mimetype="application/pdf",
                headers={"Content-Disposition": 'attachment; filename="adal-completion-report.pdf"'},
            )
        records = list(reports.summary_records(dash, scope_label, lang))
        return export_response(fmt, "adal-completion-report", title, reports.summary_header(), records)


@bp.route("/people.<any(csv, xlsx):fmt>")
@require_role(*OFFICE_ROLES)
def people_export(fmt: str):
    """Every person of the report's courses and units with their status, streamed."""
    _form, filters, lang = _report_context()
    slugs = [filters.course] if filters.course else figures.mandatory_courses(db.session)
    titles = figures.course_titles(db.session, slugs, lang)
    with force_locale(lang):
        header = reports.people_header()
        title = _("Completion report")
    trail.record(db.session, "dashboard.people_export", details={"format": fmt, **_args()})
    db.session.commit()
    records = reports.people_records(db.session, titles, filters, lang)
    return export_response(fmt, "adal-completion-people", title, header, records)
