"""The office's pages for the public page: the methods' texts, documents and their versions, the figures' switch."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.audit import trail
from lms.config import LOCALES
from lms.extensions import db
from lms.permissions import OFFICE_ROLES, require_role, university_wide
from public_page import documents, methods, transparency
from public_page.forms import DocumentForm, FiguresForm, MethodForm, VersionForm
from public_page.models import RegulatoryDocument

bp = Blueprint("public_office", __name__, url_prefix="/office/public")


@bp.before_request
@require_role(*OFFICE_ROLES)
@university_wide
def _office_only():
    """Every page here changes what the whole university shows: university-wide officers and admins."""


@bp.route("/")
def index():
    """What the public page shows, with the office's ways to change it."""
    return render_template(
        "public_page/office_index.html",
        methods=methods.current_methods(db.session),
        documents=documents.all_documents(db.session),
        figures_form=FiguresForm(show=transparency.figures_enabled(db.session)),
    )


@bp.route("/methods/<method_key>", methods=["GET", "POST"])
def edit_method(method_key: str):
    """Rewrite one method's title and text in each language (Markdown, shown sanitized)."""
    shown = methods.method(db.session, method_key)
    if shown is None:
        abort(404)
    form = MethodForm(
        data={f"{name}_{loc}": getattr(shown, name).get(loc, "") for name in ("title", "body") for loc in LOCALES}
    )
    if form.validate_on_submit():
        methods.save_method(db.session, method_key, form.texts("title"), form.texts("body"), current_user)
        trail.record(db.session, "public.method", details={"method": form.texts("title")["en"] or method_key})
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("public_office.index"))
    return render_template("public_page/office_method.html", form=form, method=shown)


@bp.route("/documents/new", methods=["GET", "POST"])
def new_document():
    """A new regulatory document with its first version."""
    form = DocumentForm()
    if form.validate_on_submit():
        if documents.find_document(db.session, form.key.data) is not None:
            form.key.errors.append(_("A document with this key exists: add a version to it instead."))
        elif (files := _checked_files(form)) is not None:
            document = documents.create_document(db.session, form.key.data)
            version = _add_version(document, form, files)
            trail.record(db.session, "public.document", document, details={"number": version.number})
            db.session.commit()
            flash(_("The document is published."), "success")
            return redirect(url_for("public_office.index"))
    return render_template("public_page/office_version.html", form=form, document=None)


@bp.route("/documents/<int:document_id>/versions/new", methods=["GET", "POST"])
def new_version(document_id: int):
    """A new version of a document; the earlier ones stay in its history."""
    document = db.get_or_404(RegulatoryDocument, document_id)
    form = VersionForm()
    if form.validate_on_submit() and (files := _checked_files(form)) is not None:
        version = _add_version(document, form, files)
        trail.record(db.session, "public.version", document, details={"number": version.number})
        db.session.commit()
        flash(_("The new version is published; the earlier ones stay in the history."), "success")
        return redirect(url_for("public_office.index"))
    return render_template("public_page/office_version.html", form=form, document=document)


@bp.route("/figures", methods=["POST"])
def figures():
    """Publish the transparency figures or not."""
    form = FiguresForm()
    if form.validate_on_submit():
        transparency.set_figures_enabled(db.session, form.show.data)
        trail.record(db.session, "public.figures_on" if form.show.data else "public.figures_off")
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("public_office.index"))


def _checked_files(form: VersionForm) -> dict[str, bytes] | None:
    """The uploaded PDFs by language, read at most one byte past the limit; ``None`` after an error."""
    limit = int(current_app.config["ADAL_DOCUMENT_MAX_MB"] * 1024 * 1024)
    files = {}
    for loc in LOCALES:
        field = form[f"file_{loc}"]
        if not field.data:
            continue
        data = field.data.stream.read(limit + 1)
        try:
            documents.check_pdf(data, limit)
        except documents.NotAPdf as error:
            field.errors = [*field.errors, error.reason]
            continue
        files[loc] = data
    return files if not any(form[f"file_{loc}"].errors for loc in LOCALES) else None


def _add_version(document: RegulatoryDocument, form: VersionForm, files: dict[str, bytes]):
    return documents.add_version(
        db.session,
        document,
        number=form.number.data.strip(),
        approved_on=form.approved_on.data,
        title=form.texts("title"),
        summary=form.texts("summary"),
        files=files,
        storage=current_app.config["ADAL_STORAGE_PATH"],
        uploader=current_user,
    )
