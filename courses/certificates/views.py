"""Certificate pages: a learner's downloads, the public verification, and the office's tools."""

import io

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import SelectChoice

from courses.authoring.versioning import course_titles
from courses.certificates import exports, issuing, lookup, rendering
from courses.certificates.attendance import certificate_title
from courses.certificates.codes import normalize_short_code, shown_code
from courses.certificates.forms import ExportForm, LayoutForm, ReissueForm, RevokeForm
from courses.models import Certificate, CertificateError, CertificateExport, ExportStatus
from lms.extensions import db, limiter
from lms.i18n import current_locale
from lms.models import OrgUnit, Role
from lms.navigation import add_nav_item
from lms.people.directory import units_for
from lms.permissions import require_role, scope_paths, university_wide
from lms.units.tree import unit_choices

bp = Blueprint("certificates", __name__)


def _verify_limit() -> str:
    return current_app.config["ADAL_VERIFY_LIMIT"]


def _pdf_response(pdf: bytes, code: str, sha256: str | None):
    response = send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"certificate-{code}.pdf",
        etag=sha256 or False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


# --- Learners ----------------------------------------------------------------------------------


@bp.route("/certificates")
@login_required
def mine():
    """The signed-in person's certificates, each valid, expired or revoked."""
    items = lookup.certificates_of_user(db.session, current_user.id)
    return render_template("courses/cert_mine.html", items=items, status=lookup.certificate_status)


@bp.route("/certificates/<int:cert_id>.pdf")
@login_required
def download_mine(cert_id: int):
    """Download one's own certificate from storage; another person's is a 404."""
    row = db.session.execute(
        select(Certificate.code, Certificate.short_code, Certificate.pdf, Certificate.pdf_sha256).where(
            Certificate.id == cert_id,
            Certificate.user_id == current_user.id,
            Certificate.revoked_at.is_(None),
        )
    ).first()
    if row is None or row.pdf is None:
        abort(404)
    return _pdf_response(row.pdf, shown_code(row), row.pdf_sha256)


# --- Public verification -----------------------------------------------------------------------


@bp.route("/verify")
@limiter.shared_limit(_verify_limit, scope="certificate-verify")
def verify_form():
    """A form to type a code; submitting it opens the code's verification page."""
    code = (request.args.get("code") or "").strip()
    if code:
        return redirect(url_for("certificates.verify", code=normalize_short_code(code) or code))
    return render_template("courses/cert_verify.html", cert=None, asked=False)


@bp.route("/verify/<path:code>")
@limiter.shared_limit(_verify_limit, scope="certificate-verify")
def verify(code: str):
    """Valid, expired or revoked, with name, course and dates; one answer for every unknown code."""
    cert = lookup.find_by_code(db.session, code)
    if cert is None:
        response = render_template("courses/cert_verify.html", cert=None, asked=True)
        return response, 404, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    page = render_template(
        "courses/cert_verify.html",
        cert=cert,
        asked=True,
        state=lookup.certificate_status(cert),
        course_title=certificate_title(cert, current_locale()),
    )
    return page, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


# --- Office ------------------------------------------------------------------------------------


def _office_certificate(cert_id: int) -> Certificate:
    """A certificate the current officer may see (their units), else 404."""
    query = lookup.in_scope(
        select(Certificate).join(Certificate.user).where(Certificate.id == cert_id), scope_paths(current_user)
    )
    cert = db.session.scalar(query)
    if cert is None:
        abort(404)
    return cert


def _export_form() -> ExportForm:
    form = ExportForm()
    form.course_slug.choices = [SelectChoice("", _("All courses"))] + [
        SelectChoice(slug, title) for slug, title in course_titles(db.session, current_locale()).items()
    ]
    units = unit_choices(units_for(db.session, current_user))
    form.unit_id.choices = ([SelectChoice(0, _("All units"))] if scope_paths(current_user) is None else []) + units
    return form


@bp.route("/office/certificates")
@require_role(Role.OFFICER)
def office_list():
    """Search the certificates of the officer's units by name, e-mail or code; filter by course and state."""
    search = request.args.get("q", "").strip()
    course_slug = request.args.get("course", "")
    status = request.args.get("status", "")
    query = lookup.office_query(scope_paths(current_user), search, course_slug, status)
    page = db.paginate(query, per_page=50, error_out=False)
    layout_form = LayoutForm(layout=rendering.layout_setting(db.session))
    exports = db.session.scalars(
        select(CertificateExport)
        .where(CertificateExport.requested_by_id == current_user.id)
        .order_by(CertificateExport.id.desc())
        .limit(5)
    ).all()
    return render_template(
        "courses/cert_office_list.html",
        page=page,
        search=search,
        course_slug=course_slug,
        status_filter=status,
        courses=list(course_titles(db.session, current_locale()).items()),
        status=lookup.certificate_status,
        layout_form=layout_form,
        export_form=_export_form(),
        exports=exports,
    )


@bp.route("/office/certificates/<int:cert_id>")
@require_role(Role.OFFICER)
def office_detail(cert_id: int):
    """One certificate with its revoke and re-issue forms."""
    cert = _office_certificate(cert_id)
    return render_template(
        "courses/cert_office_detail.html",
        cert=cert,
        state=lookup.certificate_status(cert),
        revoke_form=RevokeForm(),
        reissue_form=ReissueForm(holder_name=cert.user.full_name),
    )


@bp.route("/office/certificates/<int:cert_id>.pdf")
@require_role(Role.OFFICER)
def office_download(cert_id: int):
    """Download any certificate of the officer's units, from storage."""
    cert = _office_certificate(cert_id)
    return _pdf_response(issuing.certificate_pdf(db.session, cert), shown_code(cert), cert.pdf_sha256)


@bp.route("/office/certificates/<int:cert_id>/revoke", methods=["POST"])
@require_role(Role.OFFICER)
def office_revoke(cert_id: int):
    """Revoke with a reason (audited)."""
    cert = _office_certificate(cert_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            issuing.revoke_certificate(db.session, cert, form.reason.data)
        except CertificateError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The certificate is revoked."), "success")
    else:
        flash(_("Give a reason for the revocation."), "danger")
    return redirect(url_for("certificates.office_detail", cert_id=cert.id))


@bp.route("/office/certificates/<int:cert_id>/reissue", methods=["POST"])
@require_role(Role.OFFICER)
def office_reissue(cert_id: int):
    """Re-issue under the same code with a corrected name (audited)."""
    cert = _office_certificate(cert_id)
    form = ReissueForm()
    if form.validate_on_submit():
        try:
            issuing.reissue_certificate(db.session, cert, form.holder_name.data)
        except CertificateError as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The certificate is re-issued with the corrected name."), "success")
    return redirect(url_for("certificates.office_detail", cert_id=cert.id))


@bp.route("/office/certificates/layout", methods=["POST"])
@require_role(Role.OFFICER)
@university_wide
def office_layout():
    """Choose the layout of certificates issued from now on."""
    form = LayoutForm()
    if form.validate_on_submit():
        rendering.save_layout_setting(db.session, form.layout.data)
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("certificates.office_list"))


@bp.route("/office/certificates/exports", methods=["POST"])
@require_role(Role.OFFICER)
def office_export():
    """Queue a zip of a course's or unit's certificates; the scheduler builds it."""
    form = _export_form()
    if not form.validate_on_submit():
        flash(_("Choose a course or a unit."), "danger")
        return redirect(url_for("certificates.office_list"))
    unit = None
    if form.unit_id.data:
        unit = db.get_or_404(OrgUnit, form.unit_id.data)
    export = exports.request_export(db.session, current_user, form.course_slug.data, unit)
    db.session.commit()
    return redirect(url_for("certificates.office_export_status", export_id=export.id))


def _own_export(export_id: int) -> CertificateExport:
    export = db.get_or_404(CertificateExport, export_id)
    if export.requested_by_id != current_user.id and not current_user.has_role(Role.ADMIN):
        abort(404)
    return export


@bp.route("/office/certificates/exports/<int:export_id>")
@require_role(Role.OFFICER)
def office_export_status(export_id: int):
    """The export's progress; the page reloads itself until the zip is ready."""
    export = _own_export(export_id)
    return render_template("courses/cert_export.html", export=export, ExportStatus=ExportStatus)


@bp.route("/office/certificates/exports/<int:export_id>/download")
@require_role(Role.OFFICER)
def office_export_download(export_id: int):
    """Stream the finished zip from storage."""
    export = _own_export(export_id)
    path = exports.export_path(export)
    if export.status != ExportStatus.DONE or not path.is_file():
        abort(404)
    name = f"certificates-{export.id}.zip"
    return send_file(path, mimetype="application/zip", as_attachment=True, download_name=name)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "certificates.mine", _l("Certificates"))
    add_nav_item(app, "certificates.office_list", _l("Certificates"), roles=(Role.OFFICER,), section="office")
