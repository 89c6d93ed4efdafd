"""The authoring pages (/author/…): courses, modules, question banks, publishing, pack import and export.

Open to course authors (and administrators). Only drafts change; a published version shows
a button that starts its next draft.
"""

import io
import zipfile

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from courses.authoring import editing, question_stats, versioning
from courses.authoring.forms import MAX_OPTIONS, CourseForm, ImportForm, ModuleAddForm, ModuleForm, QuestionForm
from courses.authoring.publish_check import publish_problems
from courses.contact_placeholders import with_office_contacts
from courses.content import render_markdown
from courses.learning import seminars
from courses.models import Course, CourseStatus, Module, ModuleKind, Question
from courses.packs import exporting, importing, reading, stored, validating
from courses.questions import QUESTION_TYPES
from lms.audit import trail
from lms.config import LOCALES
from lms.database import localized
from lms.extensions import db
from lms.i18n import current_locale
from lms.models import Role
from lms.permissions import require_role

bp = Blueprint("authoring", __name__, url_prefix="/author")
#: The largest pack zip accepted from the browser (also bounded by MAX_CONTENT_LENGTH).
PACK_UPLOAD_MAX_BYTES = 20 * 1024 * 1024


@bp.before_request
@require_role(Role.AUTHOR)
def _authors_only():
    """Every page here is for course authors (administrators pass too)."""


@bp.context_processor
def _helpers():
    return {"missing_locales": editing.missing_locales, "LOCALE_CODES": LOCALES, "question_types": QUESTION_TYPES}


def _course(course_id: int) -> Course:
    return db.first_or_404(
        select(Course)
        .where(Course.id == course_id)
        .options(selectinload(Course.modules).selectinload(Module.questions))
    )


def _editable(course: Course):
    """``None`` for a draft; else the redirect that explains a published version is frozen."""
    if course.status == CourseStatus.DRAFT:
        return None
    flash(_("This version is frozen. Start a new draft to change it."), "warning")
    return redirect(url_for("authoring.course", course_id=course.id))


def _commit_or_flash(action, on_error_redirect):
    """Run a change; commit it, or flash why it was refused and go back."""
    try:
        result = action()
    except (editing.AuthoringError, versioning.VersionError) as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return None, redirect(on_error_redirect)
    db.session.commit()
    return result, None


@bp.route("/")
def index():
    """Every course (its newest version) with its status."""
    page = db.paginate(editing.courses_query(), per_page=25)
    return render_template("courses/author_list.html", page=page)


@bp.route("/courses/new", methods=["GET", "POST"])
def new_course():
    """Start a course: its first version, a draft to fill in."""
    form = CourseForm()
    if form.validate_on_submit():
        try:
            course = editing.create_course(db.session, form.slug.data, form.settings())
        except editing.AuthoringError as exc:
            db.session.rollback()
            form.slug.errors.append(str(exc))
        else:
            trail.record(db.session, "course.create", course, details={"slug": course.slug})
            db.session.commit()
            return redirect(url_for("authoring.course", course_id=course.id))
    return render_template("courses/author_course_form.html", form=form, course=None)


@bp.route("/courses/<int:course_id>")
def course(course_id: int):
    """A version: its modules in order, what is missing, and its lifecycle buttons."""
    course = _course(course_id)
    return render_template(
        "courses/author_course.html",
        course=course,
        versions=editing.versions_of(db.session, course.slug),
        add_form=ModuleAddForm(),
        problems=publish_problems(course) if course.status == CourseStatus.DRAFT else [],
    )


@bp.route("/courses/<int:course_id>/settings", methods=["GET", "POST"])
def course_settings(course_id: int):
    """Change a draft's titles, language, audience hint and pass mark."""
    course = _course(course_id)
    if (frozen := _editable(course)) is not None:
        return frozen
    form = CourseForm(obj=course, audience=course.audience_hint)
    del form.slug
    if request.method == "GET":
        for name in ("title", "description"):
            for locale in LOCALES:
                form[f"{name}_{locale}"].data = getattr(course, name).get(locale, "")
    if form.validate_on_submit():
        editing.update_course(course, form.settings())
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("authoring.course", course_id=course.id))
    return render_template("courses/author_course_form.html", form=form, course=course)


@bp.route("/courses/<int:course_id>/draft", methods=["POST"])
def new_draft(course_id: int):
    """Edit a published version: open (or make) the next draft, a copy of it."""
    course = _course(course_id)
    draft = versioning.draft_for_editing(db.session, course)
    trail.record(db.session, "course.draft", draft, details={"slug": draft.slug, "version": draft.version})
    db.session.commit()
    return redirect(url_for("authoring.course", course_id=draft.id))


def _change_status(course_id: int, change, audit_action: str) -> tuple[Course, Response | None]:
    """Publish or archive a version, audited; the refusal (a flash and a redirect) when its lifecycle forbids it."""
    course = _course(course_id)

    def action():
        change(db.session, course)
        trail.record(db.session, audit_action, course, details={"slug": course.slug, "version": course.version})

    _result, refused = _commit_or_flash(action, url_for("authoring.course", course_id=course.id))
    return course, refused


@bp.route("/courses/<int:course_id>/publish", methods=["POST"])
def publish(course_id: int):
    """Make a draft the version new enrolments get."""
    course, refused = _change_status(course_id, versioning.publish, "course.publish")
    if refused is None:
        flash(_("Version %(version)d is published.", version=course.version), "success")
    return refused or redirect(url_for("authoring.course", course_id=course.id))


@bp.route("/courses/<int:course_id>/archive", methods=["POST"])
def archive(course_id: int):
    """Stop enrolling anyone new on a version; those already on it keep it."""
    course, refused = _change_status(course_id, versioning.archive, "course.archive")
    return refused or redirect(url_for("authoring.course", course_id=course.id))


@bp.route("/courses/<int:course_id>/modules", methods=["POST"])
def add_module(course_id: int):
    """Append an empty lesson, quiz, attestation or seminar to a draft."""
    course = _course(course_id)
    if (frozen := _editable(course)) is not None:
        return frozen
    form = ModuleAddForm()
    here = url_for("authoring.course", course_id=course.id)
    if not form.validate():
        flash("; ".join(e for errors in form.errors.values() for e in errors), "danger")
        return redirect(here)
    title = editing.texts_from(form.data, "title")
    key = (form.key.data or "").strip() or editing.module_key(course, title)
    module, refused = _commit_or_flash(lambda: editing.add_module(db.session, course, key, form.kind.data, title), here)
    return refused or redirect(url_for("authoring.module", module_id=module.id))


@bp.route("/courses/<int:course_id>/order", methods=["POST"])
def reorder(course_id: int):
    """Module order from the up/down buttons or from dragging (the same form)."""
    course = _course(course_id)
    if (frozen := _editable(course)) is not None:
        return frozen
    here = url_for("authoring.course", course_id=course.id)
    try:
        order = [int(v) for v in request.form.getlist("order")]
    except ValueError:
        abort(400)
    _result, refused = _commit_or_flash(lambda: editing.reorder_modules(course, order, request.form.get("move")), here)
    return refused or redirect(here + "#modules")


@bp.route("/courses/<int:course_id>/export.zip")
def export(course_id: int):
    """The version as a pack zip, to keep under version control or import elsewhere."""
    course = _course(course_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in exporting.pack_files(exporting.course_data(course)).items():
            archive.writestr(f"{course.slug}/{name}", content)
    buffer.seek(0)
    return send_file(
        buffer, mimetype="application/zip", as_attachment=True, download_name=f"{course.slug}-v{course.version}.zip"
    )


def _module(module_id: int) -> Module:
    return db.first_or_404(
        select(Module)
        .where(Module.id == module_id)
        .options(selectinload(Module.course).selectinload(Course.modules), selectinload(Module.questions))
    )


@bp.route("/modules/<int:module_id>", methods=["GET", "POST"])
def module(module_id: int):
    """A module's texts in kk/ru/en side by side, with a live preview, and its settings."""
    module = _module(module_id)
    course = module.course
    if request.method == "POST" and (frozen := _editable(course)) is not None:
        return frozen
    settings = stored.pack_settings(module.settings or {})
    form = ModuleForm(data={**settings, "required": module.required})
    lessons = [m for m in course.modules if m.kind == ModuleKind.LESSON]
    form.remedial_module.choices = [
        SelectChoice("", _("None")),
        *(SelectChoice(m.key, localized(m.title, current_locale())[0] or m.key) for m in lessons),
    ]
    form.event_id.choices = _event_choices()
    if request.method == "GET":
        form.pools.data = ", ".join(f"{p['pool']}={p['draw']}" for p in settings.get("pools", []))
        for locale in LOCALES:
            form[f"title_{locale}"].data = module.title.get(locale, "")
            form[f"body_{locale}"].data = (module.body or {}).get(locale, "")
    if form.validate_on_submit():
        here = url_for("authoring.module", module_id=module.id)
        _result, refused = _commit_or_flash(
            lambda: editing.update_module(
                module,
                editing.texts_from(form.data, "title"),
                editing.texts_from(form.data, "body"),
                form.required.data,
                _form_settings(form, module.kind),
            ),
            here,
        )
        if refused is None:
            flash(_("Saved."), "success")
        return refused or redirect(here)
    return render_template("courses/author_module.html", module=module, course=course, form=form)


def _form_settings(form: ModuleForm, kind: str) -> dict:
    if kind == ModuleKind.QUIZ:
        return {
            "pools": form.pool_draws() or None,
            "time_limit_s": form.time_limit_minutes.data * 60 if form.time_limit_minutes.data else None,
            "max_attempts": form.max_attempts.data,
            "grading": form.grading.data,
            "show_answers": form.show_answers.data,
            "pass_mark": form.pass_mark.data,
            "remedial_module": form.remedial_module.data or None,
        }
    if kind == ModuleKind.ATTESTATION:
        return {"document_version": form.document_version.data, "min_reading_s": form.min_reading_seconds.data}
    if kind == ModuleKind.SEMINAR:
        return {"event_id": form.event_id.data or None}
    return {}


def _event_choices() -> list[SelectChoice]:
    """The events a seminar module may link (none when the events package is not installed)."""
    directory = seminars.event_directory()
    events = directory.choices(db.session, current_locale()) if directory else []
    return [SelectChoice(0, _("Not chosen yet")), *(SelectChoice(event_id, title) for event_id, title in events)]


@bp.route("/modules/<int:module_id>/delete", methods=["POST"])
def delete_module(module_id: int):
    """Remove a module from a draft (a published version is frozen)."""
    module = _module(module_id)
    course = module.course
    here = url_for("authoring.course", course_id=course.id)
    _result, refused = _commit_or_flash(lambda: editing.delete_module(db.session, module), here)
    return refused or redirect(here)


@bp.route("/modules/<int:module_id>/questions")
def questions(module_id: int):
    """A quiz's question bank by pool, with what each pool holds against what the quiz draws."""
    module = _module(module_id)
    if module.kind != ModuleKind.QUIZ:
        abort(404)
    return render_template(
        "courses/author_questions.html", module=module, course=module.course, pools=editing.pool_summary(module)
    )


@bp.route("/modules/<int:module_id>/questions/new/<kind>", methods=["GET", "POST"])
@bp.route("/questions/<int:question_id>", methods=["GET", "POST"])
def question(module_id: int | None = None, kind: str | None = None, question_id: int | None = None):
    """Add a question of ``kind`` to a quiz, or edit one, with how learners answered it (per language)."""
    existing = db.get_or_404(Question, question_id) if question_id else None
    module = _module(existing.module_id if existing else module_id)
    kind = existing.kind if existing else kind
    if module.kind != ModuleKind.QUIZ or kind not in QUESTION_TYPES:
        abort(404)
    if request.method == "POST" and (frozen := _editable(module.course)) is not None:
        return frozen
    form = QuestionForm()
    if request.method == "GET":
        if existing is not None:
            form.fill(existing)
        else:
            form.pool.data = editing.last_pool(module)
    errors: list[str] = []
    if form.is_submitted():
        entry, errors = form.checked_entry(module, kind, existing)
        if not errors:
            try:
                editing.save_question(db.session, module, entry, existing)
            except editing.AuthoringError as exc:
                db.session.rollback()
                errors = str(exc).split("; ")
            else:
                db.session.commit()
                flash(_("The question is saved."), "success")
                return redirect(url_for("authoring.questions", module_id=module.id))
    return render_template(
        "courses/author_question.html",
        module=module,
        course=module.course,
        form=form,
        kind=kind,
        question=existing,
        errors=errors,
        option_letters="abcdef"[:MAX_OPTIONS],
        stats=question_stats.stats_for_editor(db.session, existing) if existing else None,
    )


@bp.route("/questions/<int:question_id>/delete", methods=["POST"])
def delete_question(question_id: int):
    """Remove a question from a draft's bank."""
    question = db.get_or_404(Question, question_id)
    here = url_for("authoring.questions", module_id=question.module_id)
    _result, refused = _commit_or_flash(lambda: editing.delete_question(db.session, question), here)
    return refused or redirect(here)


@bp.route("/preview", methods=["POST"])
def preview():
    """Markdown → the sanitized HTML learners will see (the live preview beside each text box), contacts filled in."""
    text = request.form.get("text", "")[:200_000]
    course_id = request.args.get("course_id", type=int)
    file_url = (lambda name: url_for("courses.course_file", course_id=course_id, name=name)) if course_id else None
    shown = with_office_contacts(text, current_locale())
    return render_markdown(shown, file_url), 200, {"Content-Type": "text/html; charset=utf-8"}


@bp.route("/import", methods=["GET", "POST"])
def import_pack():
    """Upload a pack zip: every error is listed with file and line, and nothing is imported then."""
    form = ImportForm()
    errors: list[reading.PackError] = []
    if form.validate_on_submit():
        limit = current_app.config.get("ADAL_PACK_MAX_BYTES", PACK_UPLOAD_MAX_BYTES)
        data = form.pack.data.read(limit + 1)
        try:
            if len(data) > limit:
                raise reading.PackInvalid(
                    [reading.PackError(form.pack.data.filename or "", None, _("The file is too large."))]
                )
            course = importing.import_pack(db.session, validating.load_pack_zip(data), publish=form.publish.data)
        except reading.PackInvalid as exc:
            db.session.rollback()
            errors = exc.errors
        else:
            trail.record(db.session, "course.import", course, details={"slug": course.slug, "version": course.version})
            db.session.commit()
            flash(_("Imported version %(version)d of %(slug)s.", version=course.version, slug=course.slug), "success")
            return redirect(url_for("authoring.course", course_id=course.id))
    return render_template("courses/author_import.html", form=form, errors=errors)
