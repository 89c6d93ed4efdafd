"""The office's learning pages: assignments, the audience count, progress per course and per person."""

import json

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import case, func, select
from wtforms import SelectChoice

from courses.audience.rules import (
    AudienceError,
    OutsideScope,
    count_audience,
    describe_rule,
    describe_rules,
    validate_rule,
)
from courses.authoring.versioning import course_titles
from courses.models import Assignment, Course, CourseStatus, Enrolment, EnrolmentStatus
from courses.office import progress_export, reports
from courses.office.enrolment import end_assignment as end_assignment_service
from courses.office.enrolment import enrol_assignment
from courses.office.forms import AssignmentForm, AudienceCountForm, EndAssignmentForm, ProgressFilterForm
from courses.signatures import register
from lms.audit import trail
from lms.database import localized
from lms.exports import export_response
from lms.extensions import db
from lms.i18n import current_locale
from lms.models import User
from lms.navigation import add_nav_item
from lms.people.directory import units_for
from lms.permissions import OFFICE_ROLES, can_see_person, people_in_scope, require_role, scope_paths, university_wide
from lms.units.tree import unit_choices

bp = Blueprint("courses_office", __name__, url_prefix="/office/courses")

PER_PAGE = 50


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "courses_office.progress_index", _l("Training progress"), roles=OFFICE_ROLES, section="office")
    add_nav_item(app, "courses_office.assignments", _l("Assignments"), roles=OFFICE_ROLES, section="office")


def _unit_choices(first_label) -> list[SelectChoice]:
    return [SelectChoice("", first_label), *unit_choices(units_for(db.session, current_user))]


# Progress --------------------------------------------------------------------------------------


@bp.route("/")
@require_role(*OFFICE_ROLES)
def progress_index():
    """Every course with how many people are enrolled, finished and overdue."""
    overview = reports.courses_overview(db.session, scope_paths(current_user), current_locale())
    return render_template("courses/office_progress_index.html", overview=overview)


def _latest_course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug).order_by(Course.version.desc()).limit(1))
    if course is None:
        abort(404)
    return course


def _progress_filters() -> tuple[ProgressFilterForm, reports.ProgressFilters]:
    form = ProgressFilterForm(request.args)
    form.unit.choices = _unit_choices(_("Any unit"))
    form.validate()
    unit = form.unit.data or ""
    filters = reports.ProgressFilters(
        unit_id=int(unit) if unit.isdigit() else None,
        group=(form.group.data or "").strip() or None,
        kind=form.kind.data or None,
        status=form.status.data or None,
        search=(form.q.data or "").strip() or None,
        scope=scope_paths(current_user),
    )
    return form, filters


@bp.route("/progress/<slug>")
@require_role(*OFFICE_ROLES)
def course_progress(slug: str):
    """Who is enrolled in a course, who finished, scores, attempts, who is overdue; filtered, a page at a time."""
    course = _latest_course(slug)
    form, filters = _progress_filters()
    summary = reports.course_summary(db.session, slug, filters)
    page = reports.paginate_rows(db.session, reports.course_progress_query(slug, filters), per_page=PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "courses/office_course_progress.html",
        course=course,
        form=form,
        summary=summary,
        page=page,
        args=args,
        states=reports.STATES,
        state_labels=reports.STATE_LABELS,
    )


@bp.route("/progress/<slug>/export.<any(csv, xlsx):fmt>")
@require_role(*OFFICE_ROLES)
def export_progress(slug: str, fmt: str):
    """The course's progress with the page's filters, streamed as CSV or XLSX."""
    course = _latest_course(slug)
    _form, filters = _progress_filters()
    locale = current_locale()
    records = progress_export.export_records(db.session, reports.course_progress_query(slug, filters), locale)
    header = progress_export.export_header()
    trail.record(db.session, "courses.progress_export", course, details={"format": fmt, "slug": slug})
    db.session.commit()
    title = localized(course.title, locale)[0] or slug
    return export_response(fmt, f"progress-{slug}", title, header, records)


@bp.route("/people/<int:user_id>")
@require_role(*OFFICE_ROLES)
def person_progress(user_id: int):
    """One person's courses across every cycle (status, scores, attempts, completions) and the documents they signed."""
    person = db.get_or_404(User, user_id)
    if not can_see_person(current_user, person):
        abort(404)
    rows = db.session.execute(reports.person_progress_query(person.id)).all()
    return render_template(
        "courses/office_person.html",
        person=person,
        rows=rows,
        state_labels=reports.STATE_LABELS,
        signed=register.person_signatures(db.session, person.id),
    )


# Assignments -----------------------------------------------------------------------------------


@bp.route("/assignments")
@require_role(*OFFICE_ROLES)
def assignments():
    """The assignments, newest first, with their audience in words and how far their people are."""
    page = db.paginate(
        select(Assignment).order_by(Assignment.active.desc(), Assignment.created_at.desc(), Assignment.id.desc()),
        per_page=PER_PAGE,
        max_per_page=200,
    )
    ids = [a.id for a in page.items]
    scope = scope_paths(current_user)  # a unit head's totals count their units' people only
    counts = {
        row.assignment_id: row
        for row in db.session.execute(
            select(
                Enrolment.assignment_id,
                func.count().label("enrolled"),
                func.coalesce(func.sum(case((Enrolment.status == EnrolmentStatus.COMPLETED, 1), else_=0)), 0).label(
                    "completed"
                ),
            )
            .join(User, User.id == Enrolment.user_id)
            .where(Enrolment.assignment_id.in_(ids), people_in_scope(scope))
            .group_by(Enrolment.assignment_id)
        )
    }
    descriptions = describe_rules([a.audience for a in page.items], current_locale(), db.session)
    described = {a.id: text for a, text in zip(page.items, descriptions, strict=True)}
    return render_template(
        "courses/office_assignments.html",
        page=page,
        counts=counts,
        described=described,
        titles=course_titles(db.session, current_locale(), (a.course_slug for a in page.items)),
        end_form=EndAssignmentForm(),
        can_assign=scope is None,
    )


@bp.route("/assignments/new", methods=["GET", "POST"])
@require_role(*OFFICE_ROLES)
@university_wide
def new_assignment():
    """Assign a course to an audience with a due date and maybe a recurrence; enrol them at once.

    University-wide work: a unit head (an officer scoped to a unit) only follows progress.
    """
    form = AssignmentForm()
    slugs = db.session.scalars(
        select(Course.slug).where(Course.status == CourseStatus.PUBLISHED).distinct().order_by(Course.slug)
    ).all()
    titles = course_titles(db.session, current_locale(), slugs)
    form.course_slug.choices = [SelectChoice(slug, titles[slug]) for slug in slugs]
    form.unit_id.choices = _unit_choices(_("Choose a unit"))
    if form.validate_on_submit():
        assignment = Assignment(
            course_slug=form.course_slug.data,
            audience=form.rule(),
            due_date=form.due_at(),
            due_days=form.due_days.data if form.due_mode.data == "days" else None,
            recurrence_months=form.recurrence_months.data if form.recurring.data else None,
            created_by_id=current_user.id,
        )
        db.session.add(assignment)
        db.session.flush()
        enrolled = enrol_assignment(db.session, assignment)
        trail.record(
            db.session,
            "assignment.create",
            assignment,
            details={"course": assignment.course_slug, "audience": assignment.audience, "enrolled": enrolled},
        )
        db.session.commit()
        flash(
            ngettext(
                "Assigned: %(num)s person newly enrolled; anyone enrolled already keeps their enrolment.",
                "Assigned: %(num)s people newly enrolled; anyone enrolled already keeps their enrolment.",
                enrolled,
            ),
            "success",
        )
        return redirect(url_for("courses_office.assignments"))
    return render_template("courses/office_assignment_form.html", form=form, has_courses=bool(slugs))


@bp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
@require_role(*OFFICE_ROLES)
@university_wide
def end_assignment(assignment_id: int):
    """Un-assign: nobody new is enrolled, unfinished enrolments are cancelled, completions stay."""
    assignment = db.get_or_404(Assignment, assignment_id)
    if not EndAssignmentForm().validate_on_submit():
        abort(400)
    if assignment.active:
        cancelled = end_assignment_service(db.session, assignment)
        trail.record(db.session, "assignment.end", assignment, details={"cancelled": cancelled})
        db.session.commit()
        flash(
            ngettext(
                "Assignment ended; %(num)s unfinished enrolment cancelled.",
                "Assignment ended; %(num)s unfinished enrolments cancelled.",
                cancelled,
            ),
            "success",
        )
    return redirect(url_for("courses_office.assignments"))


@bp.route("/audience/count")
@require_role(*OFFICE_ROLES)
def audience_count():
    """How many active people an audience matches, as JSON for the builder's live count.

    An incomplete rule answers ``{"error": why}``. Takes the builder's fields, or a whole rule as
    JSON in ``rule`` (campaigns use that). A unit head counts only their units' people, and a rule
    naming another unit is refused (403).
    """
    try:
        if "rule" in request.args:
            try:
                raw = json.loads(request.args["rule"])
            except ValueError:
                raise AudienceError(_("The rule is not valid JSON.")) from None
            rule = validate_rule(raw, db.session)
        else:
            rule = AudienceCountForm(request.args).rule()
        count = count_audience(db.session, rule, scope_paths(current_user))  # a unit head counts their units only
    except OutsideScope as error:
        return jsonify(error=str(error)), 403
    except AudienceError as error:  # a rule half-built in the form: say what it lacks
        return jsonify(error=str(error))
    return jsonify(
        count=count,
        label=ngettext("%(num)s person", "%(num)s people", count),
        description=describe_rule(rule, current_locale(), db.session),
    )
