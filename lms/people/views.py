"""The office's people pages: the list, one person, and the import (upload, dry run, apply)."""

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms import SelectChoice

from lms import sessions
from lms.extensions import db
from lms.i18n import current_locale
from lms.models import Role, User
from lms.navigation import add_nav_item
from lms.people import directory, importing, spreadsheets, uploads
from lms.people.forms import ActiveForm, ImportApplyForm, ImportUploadForm, PeopleFilterForm, PersonForm
from lms.permissions import ADMIN_ONLY_ROLES, OFFICE_ROLES, can_see_person, require_role, scope_paths
from lms.units.tree import unit_choices

bp = Blueprint("people", __name__, url_prefix="/office/people")

#: How many problem rows and planned changes a dry-run page lists (the counts cover all rows).
SHOWN_ROWS = 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "people.people_list", _l("People"), roles=OFFICE_ROLES, section="office")
    add_nav_item(app, "people.import_upload", _l("Import people"), roles=OFFICE_ROLES, section="office")


@bp.route("/")
@require_role(*OFFICE_ROLES)
def people_list():
    """Search and filter the people the officer may see, a page at a time."""
    form = PeopleFilterForm(request.args)
    units = directory.units_for(db.session, current_user)
    form.unit.choices = [
        SelectChoice("", _("Any unit")),
        *unit_choices(units),
    ]
    form.validate()
    filters = directory.PeopleFilter(
        q=form.q.data or "",
        unit_id=int(form.unit.data) if (form.unit.data or "").isdigit() else None,
        kind=form.kind.data or "",
        role=form.role.data or "",
        active=form.active.data if "active" in request.args else "yes",
    )
    page = db.paginate(directory.people_query(db.session, current_user, filters), per_page=50, max_per_page=200)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "lms/people_list.html", form=form, page=page, args=args, describe_role=directory.describe_role
    )


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@require_role(*OFFICE_ROLES)
def person(user_id: int):
    """One person's details and roles, editable; deactivation is a separate button.

    Officers of the whole university (and admins) also choose the unit an officer oversees,
    which makes the person a unit head; a unit head sees the roles but changes none.
    """
    person = _visible_person(user_id)
    is_admin = current_user.has_role(Role.ADMIN)
    roles_editable = scope_paths(current_user) is None
    form = PersonForm(obj=person)
    choices = unit_choices(directory.units_for(db.session, current_user))
    form.org_unit_id.choices = choices if not roles_editable else [SelectChoice(0, _("— no unit —")), *choices]
    form.officer_unit.choices = [SelectChoice(0, _("The whole university")), *choices]
    if request.method == "GET":  # ``obj`` gives UserRole rows and None; the fields want codes
        form.org_unit_id.data = person.org_unit_id or 0
        form.roles.data = sorted(person.role_names)
        form.officer_unit.data = _officer_unit_id(person) or 0
    if form.validate_on_submit():
        data = {name: form[name].data for name in directory.PERSON_FIELDS}
        data["org_unit_id"] = data["org_unit_id"] or None
        data["study_group"] = (data["study_group"] or "").strip() or None
        data["position"] = (data["position"] or "").strip() or None
        directory.update_person(db.session, person, data)
        try:
            if roles_editable:
                wanted = set(form.roles.data or ())
                if not is_admin:  # the admin-only boxes are disabled for them, so they never come back
                    admin_only = {Role.ADMIN, *ADMIN_ONLY_ROLES}
                    wanted = (wanted - admin_only) | (person.role_names & admin_only)
                # A post without the unit field (an older page) keeps the scope rather than widen it.
                scopes = {Role.OFFICER: form.officer_unit.data or None} if form.officer_unit.raw_data else {}
                directory.set_roles(db.session, person, wanted, current_user, scopes)
        except directory.RoleChangeRefused as refused:
            db.session.rollback()
            messages = {
                "admin_only": _("Only an administrator can grant or remove the administrator role."),
                "own_admin": _("You cannot remove your own administrator role."),
                "own_scope": _("You cannot limit your own officer role to a unit; ask another officer."),
                "unit_head": _("Roles are managed by officers of the whole university."),
                "not_scoped": _("Only the officer role can be limited to a unit."),
                "no_unit": _("That org unit no longer exists."),
            }
            flash(messages[str(refused)], "danger")
            return redirect(url_for("people.person", user_id=user_id))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("people.person", user_id=user_id))
    locale = current_locale()
    return render_template(
        "lms/people_person.html",
        person=person,
        form=form,
        active_form=ActiveForm(),
        is_admin=is_admin,
        roles_editable=roles_editable,
        role_names=[directory.describe_role(role, locale) for role in sorted(person.roles, key=lambda r: r.role)],
    )


def _officer_unit_id(person: User) -> int | None:
    """The unit whose head ``person`` is, or ``None`` (not an officer, or one of the whole university)."""
    return next((r.scope_unit_id for r in person.roles if r.role == Role.OFFICER), None)


@bp.route("/<int:user_id>/active", methods=["POST"])
@require_role(*OFFICE_ROLES)
def set_active(user_id: int):
    """Deactivate or reactivate a person; nobody is ever deleted."""
    person = _visible_person(user_id)
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400)
    active = form.active.data == "1"
    if not active and person.id == current_user.id:
        flash(_("You cannot deactivate yourself."), "danger")
    elif Role.ADMIN in person.role_names and not current_user.has_role(Role.ADMIN):
        flash(_("Only an administrator can deactivate or reactivate an administrator."), "danger")
    elif directory.set_active(db.session, person, active):
        if not active:  # for good: reactivation must not bring an old cookie back
            sessions.end_everywhere(db.session, person, "people.sessions_ended")
        db.session.commit()
        flash(_("Reactivated.") if active else _("Deactivated."), "success")
    return redirect(url_for("people.person", user_id=user_id))


def _visible_person(user_id: int) -> User:
    person = db.get_or_404(User, user_id)
    if not can_see_person(current_user, person):
        abort(404)
    return person


@bp.route("/import", methods=["GET", "POST"])
@require_role(*OFFICE_ROLES)
def import_upload():
    """Upload a CSV or XLSX: it is checked at once and kept with its check; nothing is written yet.

    A file that cannot be read is refused here with the reason and not kept.
    """
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        token = uploads.keep_upload(upload.read(), upload.filename or "", current_user.id)
        try:
            _kept_review(token)
        except spreadsheets.ImportFileError as error:
            uploads.discard_upload(token)
            flash(str(error), "danger")
        else:
            return redirect(url_for("people.import_review", token=token))
    return render_template("lms/import_upload.html", form=form, columns=spreadsheets.HEADER_ALIASES)


def _plan_kept_file(token: str) -> tuple[importing.ImportPlan, str]:
    """Read and plan a kept upload against the database as it is now; the plan and the file's name."""
    kept = uploads.load_upload(token, current_user.id)
    if kept is None:
        abort(404)
    data, filename = kept
    columns, body = spreadsheets.read_table(data, filename)
    return importing.plan_import(db.session, columns, body, scope_paths(current_user)), filename


def _kept_review(token: str) -> tuple[dict, str]:
    """The dry run kept with an upload, made now and kept if there is none yet (an upload being checked)."""
    kept = uploads.load_review(token, current_user.id)
    if kept is not None:
        return kept
    plan, filename = _plan_kept_file(token)
    review = uploads.review_of(plan, SHOWN_ROWS)
    uploads.keep_review(token, review)
    return review, filename


@bp.route("/import/<token>")
@require_role(*OFFICE_ROLES)
def import_review(token: str):
    """The dry run kept at upload: counts, the rejected rows with reasons, and the changes to be made."""
    try:
        review, filename = _kept_review(token)
    except spreadsheets.ImportFileError as error:
        uploads.discard_upload(token)
        flash(str(error), "danger")
        return redirect(url_for("people.import_upload"))
    return render_template(
        "lms/import_review.html",
        token=token,
        filename=filename,
        counts=review["counts"],
        rejected=review["rejected"],
        changes=review["changes"],
        shown=SHOWN_ROWS,
        form=ImportApplyForm(),
        describe=importing.describe_reason,
        field_labels=importing.field_labels,
    )


@bp.route("/import/<token>/apply", methods=["POST"])
@require_role(*OFFICE_ROLES)
def import_apply(token: str):
    """Apply the kept file in one transaction: all rows, or only the valid ones when asked.

    The file is planned again here, against the database as it is now, not as it was at the review.
    """
    form = ImportApplyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        plan, filename = _plan_kept_file(token)
    except spreadsheets.ImportFileError as error:
        uploads.discard_upload(token)
        flash(str(error), "danger")
        return redirect(url_for("people.import_upload"))
    result = importing.apply_plan(db.session, plan, only_valid=bool(form.apply_valid.data), filename=filename)
    if result is None:
        uploads.keep_review(token, uploads.review_of(plan, SHOWN_ROWS))  # what refused it, as of now
        flash(_("Nothing was imported: some rows are rejected. Fix the file or import only the valid rows."), "danger")
        return redirect(url_for("people.import_review", token=token))
    db.session.commit()
    uploads.discard_upload(token)
    counts = result.counts
    flash(
        ngettext("%(num)d person created", "%(num)d people created", counts["create"])
        + ", "
        + ngettext("%(num)d updated", "%(num)d updated", counts["update"])
        + ", "
        + ngettext("%(num)d row skipped", "%(num)d rows skipped", counts["reject"])
        + ".",
        "success",
    )
    return redirect(url_for("people.people_list"))
