"""The signature register's pages: who signed which version of each attested document, and its export."""

from flask import Blueprint, Flask, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length

from courses.office import reports
from courses.signatures import documents as signature_documents
from courses.signatures import register as signature_register
from lms.audit import trail
from lms.exports import export_response
from lms.extensions import db
from lms.i18n import LANGUAGE_NAMES, current_locale
from lms.navigation import add_nav_item
from lms.people.directory import units_for
from lms.permissions import OFFICE_ROLES, require_role, scope_paths
from lms.units.tree import unit_choices

bp = Blueprint("course_signatures", __name__, url_prefix="/office/courses/signatures")

PER_PAGE = 50


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "course_signatures.register", _l("Signature register"), roles=OFFICE_ROLES, section="office")


class SignatureFilterForm(FlaskForm):
    """The register's filters (a GET form: no CSRF); choices are filled per request."""

    class Meta:
        csrf = False

    doc = SelectField(_l("Document"), choices=[], validate_choice=False)
    q = StringField(_l("Name or e-mail"), validators=[Length(max=100)])
    unit = SelectField(_l("Org unit"), choices=[], validate_choice=False)
    state = SelectField(
        _l("Signature"),
        choices=[
            SelectChoice("", _l("Anyone")),
            *(SelectChoice(s, signature_documents.STATE_LABELS[s]) for s in signature_documents.STATES),
        ],
    )


def _filters():
    """The form, the chosen document (``None`` when no course holds one) and the filters, scoped."""
    locale = current_locale()
    documents = signature_documents.attested_documents(db.session)
    form = SignatureFilterForm(request.args)
    form.doc.choices = [SelectChoice(d.ref, d.label(locale)) for d in documents]
    form.unit.choices = [
        SelectChoice("", _("Any unit")),
        *unit_choices(units_for(db.session, current_user)),
    ]
    form.validate()
    document = signature_documents.find_document(documents, form.doc.data)
    unit = form.unit.data or ""
    filters = signature_register.SignatureFilters(
        state=form.state.data or None,
        unit_id=int(unit) if unit.isdigit() else None,
        search=(form.q.data or "").strip() or None,
        scope=scope_paths(current_user),
    )
    return form, document, filters


@bp.route("/")
@require_role(*OFFICE_ROLES)
def register():
    """Who signed which version of a document, who signed an older one, who has not; a page at a time.

    A unit head sees only the people of their units, in the counts as in the table.
    """
    form, document, filters = _filters()
    if document is None:
        return render_template("courses/signatures.html", form=form, document=None)
    counts = signature_register.signature_counts(
        db.session, document.slug, document.key, filters.scope, filters.unit_id
    )
    query = signature_register.register_query(document.slug, document.key, filters)
    page = reports.paginate_rows(db.session, query, per_page=PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "page"}
    args["doc"] = document.ref
    return render_template(
        "courses/signatures.html",
        form=form,
        document=document,
        counts=counts,
        page=page,
        args=args,
        states=signature_documents.STATES,
        state_labels=signature_documents.STATE_LABELS,
        language_names=LANGUAGE_NAMES,
    )


@bp.route("/export.<any(csv, xlsx):fmt>")
@require_role(*OFFICE_ROLES)
def export(fmt: str):
    """The register with the page's filters, streamed as CSV or XLSX (times in the university's zone)."""
    form, document, filters = _filters()
    locale = current_locale()
    if document is None:
        return render_template("courses/signatures.html", form=form, document=None), 404
    query = signature_register.register_query(document.slug, document.key, filters)
    trail.record(
        db.session,
        "courses.signatures_export",
        details={
            "format": fmt,
            "document": document.ref,
            "version": document.version,
            "state": filters.state,
            "unit_id": filters.unit_id,
            "search": filters.search,
        },
    )
    db.session.commit()
    records = signature_register.register_records(db.session, query, locale)
    return export_response(
        fmt,
        f"signatures-{document.slug}-{document.key}",
        document.label(locale),
        signature_register.register_header(),
        records,
    )
