"""The public pages, open to anyone without signing in: the anti-corruption page, documents, figures."""

from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for

from concerns.forms import CATEGORY_LABELS
from lms.database import localized, utcnow
from lms.extensions import db, limiter
from lms.i18n import current_locale
from public_page import documents, methods, transparency
from public_page.models import DocumentVersion

bp = Blueprint("public", __name__)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ADAL_TIMEZONE"])


def _today() -> date:
    return utcnow().astimezone(_zone()).date()


@bp.route("/about")
def about():
    """The anti-corruption page: the eight methods, the documents, the contacts, where to report."""
    today = _today()
    kept = [(doc, documents.version_in_force(doc, today)) for doc in documents.all_documents(db.session)]
    shown = methods.current_methods(db.session)
    return render_template(
        "public_page/about.html",
        methods=shown,
        method_html={m.key: methods.method_html(localized(m.body, current_locale())[0]) for m in shown},
        documents=[(doc, version) for doc, version in kept if version is not None],
        has_figures=bool(transparency.figures_enabled(db.session) and transparency.finished_years(db.session, _zone())),
    )


@bp.route("/transparency")
def figures():
    """Reports received and training completion per finished year, small groups hidden."""
    minimum = current_app.config["ADAL_PUBLIC_MIN_GROUP"]
    shown = transparency.published_figures(db.session, minimum, _zone(), current_locale())
    if not shown:
        abort(404)
    return render_template(
        "public_page/transparency.html",
        years=shown,
        minimum=minimum,
        categories=[CATEGORY_LABELS[c] for c in transparency.CATEGORIES],
        outcomes=[transparency.OUTCOME_LABELS[o] for o in transparency.OUTCOMES],
    )


@bp.route("/documents/<document_key>")
def document(document_key: str):
    """A document as in force on a day (``?on=YYYY-MM-DD``, default today), with its whole history."""
    found = documents.find_document(db.session, document_key)
    if found is None or not found.versions:
        abort(404)
    try:
        day = date.fromisoformat(request.args["on"]) if request.args.get("on") else None
    except ValueError:
        abort(400)
    version = documents.version_in_force(found, day or _today())
    return render_template(
        "public_page/document.html", document=found, version=version, day=day, history=documents.history(found)
    )


@bp.route("/documents/<document_key>/<int:version_id>/<any(kk, ru, en):locale>.pdf")
@limiter.limit("60 per minute")
def download(document_key: str, version_id: int, locale: str):
    """One language's PDF of one version (every version stays downloadable)."""
    version = db.get_or_404(DocumentVersion, version_id)
    stored = version.files.get(locale)
    if version.document.key != document_key or not stored:
        abort(404)
    path = documents.pdf_path(current_app.config["ADAL_STORAGE_PATH"], stored["sha256"])
    if not path.is_file():
        abort(404)
    name = f"{document_key}-{version.approved_on.isoformat()}-{locale}.pdf"
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name, max_age=3600)


def document_link(key: str, day: date | None) -> str | None:
    """The registered linker (``lms.navigation.document_url``): the document's page as in force on ``day``."""
    if key not in documents.document_keys(db.session):
        return None
    return url_for("public.document", document_key=key, on=day.isoformat() if day else None)
