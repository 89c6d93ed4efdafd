"""Certificates: issued once at completion, rendered once, served from storage, verifiable by code.

Re-issue after a name correction keeps the same code: the code is what is already printed on
papers handed to scholarship committees and auditors, and verifying it should show the corrected
name rather than "revoked". The old and new names and PDF hashes go to the audit log.
"""

import hashlib
import re
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import segno
from flask import Flask, current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from courses.certificates.codes import new_short_code, normalize_short_code
from courses.learning.progress import add_months
from courses.models import (
    Certificate,
    CertificateError,
    CertificateExport,
    CertificateStatus,
    Course,
    Enrolment,
    ExportStatus,
    User,
)
from lms.audit import trail
from lms.database import as_utc, localized, utcnow
from lms.models import OrgUnit, Setting
from lms.office_settings import office_contacts
from lms.pdf import render_pdf
from lms.permissions import people_in_scope

LAYOUTS = ("single", "kk-ru")
LAYOUT_SETTING = "certificate_layout"
EXPORT_BATCH = 200
QR_MASK = 2
#: A running export older than this was abandoned by a stopped scheduler.
EXPORT_STALE = timedelta(hours=2)


def new_code() -> str:
    """The row's internal 128-bit code (shown only on certificates issued before the short code)."""
    return secrets.token_urlsafe(16)


def shown_code(cert: Certificate) -> str:
    """The code printed on ``cert`` and typed to verify it: the short one, or an older one's long one."""
    return cert.short_code or cert.code


def certificate_status(cert: Certificate, now: datetime | None = None) -> CertificateStatus:
    """Revoked, expired (its course's validity ran out) or valid."""
    if cert.revoked_at is not None:
        return CertificateStatus.REVOKED
    expires = as_utc(cert.expires_at)
    if expires is not None and expires <= (now or utcnow()):
        return CertificateStatus.EXPIRED
    return CertificateStatus.VALID


def status_condition(status: CertificateStatus, now: datetime):
    """The SQL condition matching ``certificate_status(...) == status``."""
    if status == CertificateStatus.REVOKED:
        return Certificate.revoked_at.is_not(None)
    if status == CertificateStatus.EXPIRED:
        return and_(Certificate.revoked_at.is_(None), Certificate.expires_at <= now)
    return and_(
        Certificate.revoked_at.is_(None),
        or_(Certificate.expires_at.is_(None), Certificate.expires_at > now),
    )


def layout_setting(session: Session) -> str:
    """The layout the office chose for new certificates: one language or bilingual kk/ru."""
    row = session.get(Setting, LAYOUT_SETTING)
    return row.value if row is not None and row.value in LAYOUTS else "single"


def save_layout_setting(session: Session, layout: str) -> None:
    if layout not in LAYOUTS:
        raise CertificateError(layout)
    row = session.get(Setting, LAYOUT_SETTING)
    if row is None:
        session.add(Setting(key=LAYOUT_SETTING, value=layout))
    else:
        row.value = layout
    trail.record(session, "certificate.layout", details={"layout": layout})


def verify_url(code: str) -> str:
    return f"{current_app.config['ADAL_BASE_URL']}/verify/{code}"


@dataclass
class CertificateFacts:
    """What a certificate page shows, independent of whether the row exists yet."""

    code: str
    holder_name: str
    score: int | None
    locale: str
    layout: str
    issued_at: datetime
    expires_at: datetime | None


def _texts(lang: str, facts: CertificateFacts, course: Course, contacts: dict) -> dict:
    """The words of one language's block of the certificate, translated and formatted."""
    with force_locale(lang):
        return {
            "lang": lang,
            "university": localized(contacts.get("university"), lang)[0],
            "issuer": _("Compliance service"),
            "heading": _("Certificate"),
            "certifies": _("This is to certify that"),
            "completed": _("has completed the course"),
            "course": (localized(course.title, lang)[0] or course.slug) if course is not None else "",
            "score_label": _("Score"),
            "issued_label": _("Issued"),
            "expires_label": _("Valid until"),
            "issued": format_date(facts.issued_at, "long"),
            "expires": format_date(facts.expires_at, "long") if facts.expires_at else None,
            "officer_label": _("Compliance officer"),
            "officer": localized(contacts.get("officer"), lang)[0],
            "verify_label": _("Check this certificate at"),
            "code_label": _("Code"),
        }


def render_certificate_html(
    session: Session, facts: CertificateFacts, course: Course | None, attended: dict | None = None
) -> str:
    """The certificate's HTML from ``templates/pdf/certificate.html`` (the office may restyle it).

    ``attended`` (``{"title": {locale: …}, "text": {locale: …}}``) makes it a certificate of attendance.
    """
    contacts = office_contacts(session)
    langs = ["kk", "ru"] if facts.layout == "kk-ru" else [facts.locale]
    blocks = [_texts(lang, facts, course, contacts) for lang in langs]
    if attended is not None:
        for block in blocks:
            block.update(_attendance_words(block["lang"], attended))
    url = verify_url(facts.code)
    # A fixed mask: every mask is valid, and choosing the "best" of eight costs more than the rest.
    qr = segno.make(url, error="m", mask=QR_MASK).svg_inline(scale=3, border=0, omitsize=True)
    # The Jinja environment directly, not render_template: no request-bound context processors.
    return current_app.jinja_env.get_template("pdf/certificate.html").render(
        blocks=blocks,
        facts=facts,
        verify_url=url,
        qr_svg=Markup(qr),  # noqa: S704 (segno's own SVG of our URL, no user text)
        contacts=contacts,
    )


def render_certificate_pdf(
    session: Session, facts: CertificateFacts, course: Course | None, attended: dict | None = None
) -> bytes:
    return render_pdf(render_certificate_html(session, facts, course, attended))


def _attendance_words(lang: str, attended: dict) -> dict:
    """A certificate of attendance says "has attended" the event, with the event's own text under it."""
    with force_locale(lang):
        return {
            "completed": _("has attended"),
            "course": localized(attended["title"], lang)[0],
            "text": localized(attended.get("text"), lang)[0],
        }


def _facts_for(session: Session, enrolment: Enrolment, layout: str) -> CertificateFacts:
    issued = as_utc(enrolment.completed_at) or utcnow()
    expires = as_utc(enrolment.valid_until)
    if expires is None and enrolment.course.validity_months:
        expires = add_months(issued, enrolment.course.validity_months)
    return CertificateFacts(
        code=unused_short_code(session),
        holder_name=enrolment.user.full_name,
        score=enrolment.score,
        locale=enrolment.user.locale or "kk",
        layout=layout,
        issued_at=issued,
        expires_at=expires,
    )


def unused_short_code(session: Session) -> str:
    """A fresh short code no certificate has (50 bits make a repeat rare, not impossible)."""
    while True:
        code = new_short_code()
        if session.scalar(select(Certificate.id).where(Certificate.short_code == code)) is None:
            return code


def store_certificate(session: Session, facts: CertificateFacts, pdf: bytes, key: str, **owner) -> None:
    """INSERT … ON CONFLICT (``key``) DO NOTHING: a second issue for the same enrolment (registration) loses.

    ``owner`` names what the certificate is for: the enrolment, or the registration and event title.
    """
    values = {
        "code": new_code(),
        "short_code": facts.code,
        "holder_name": facts.holder_name,
        "score": facts.score,
        "locale": facts.locale,
        "layout": facts.layout,
        "issued_at": facts.issued_at,
        "expires_at": facts.expires_at,
        "pdf": pdf,
        "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
        **owner,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Certificate).values(**values).on_conflict_do_nothing(index_elements=[key])
    session.execute(statement)


def certificate_of(session: Session, enrolment_id: int) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment_id))


def issue_certificate(session: Session, enrolment: Enrolment) -> Certificate:
    """The enrolment's one certificate, rendered and stored now if it has none yet.

    The PDF is rendered before the insert, so the insert itself waits on nothing; if a concurrent
    completion inserted first, its row wins and this render is dropped. (The completion's own
    update still holds the enrolment's row — on SQLite the write lock — for the render's ~50 ms.)
    """
    existing = certificate_of(session, enrolment.id)
    if existing is not None:
        return existing
    facts = _facts_for(session, enrolment, layout_setting(session))
    pdf = render_certificate_pdf(session, facts, enrolment.course)
    store_certificate(
        session,
        facts,
        pdf,
        "enrolment_id",
        enrolment_id=enrolment.id,
        user_id=enrolment.user_id,
        course_id=enrolment.course_id,
    )
    cert = certificate_of(session, enrolment.id)
    if cert.short_code == facts.code:
        trail.record(session, "certificate.issue", cert, details={"enrolment_id": enrolment.id})
    return cert


def on_course_completed(sender: Flask, session: Session, enrolment: Enrolment, **_extra) -> None:
    """Receiver of ``lms.signals.course_completed``: issue inside the completion's transaction."""
    issue_certificate(session, enrolment)


def certificate_pdf(session: Session, cert: Certificate) -> bytes:
    """The stored PDF bytes; never renders."""
    return session.scalar(select(Certificate.pdf).where(Certificate.id == cert.id))


def revoke_certificate(session: Session, cert: Certificate, reason: str, actor: User | None = None) -> None:
    """``Certificate.revoke``, audited."""
    cert.revoke(reason)
    details = {"code": shown_code(cert), "reason": cert.revoked_reason}
    trail.record(session, "certificate.revoke", cert, actor=actor, details=details)


def reissue_certificate(session: Session, cert: Certificate, holder_name: str, actor: User | None = None) -> None:
    """``Certificate.reissue`` with a PDF rendered as at issue but for the corrected name, audited (old and new)."""
    old_name, old_sha256 = cert.holder_name, cert.pdf_sha256

    def render(name: str) -> bytes:
        facts = CertificateFacts(
            code=shown_code(cert),
            holder_name=name,
            score=cert.score,
            locale=cert.locale,
            layout=cert.layout,
            issued_at=as_utc(cert.issued_at),
            expires_at=as_utc(cert.expires_at),
        )
        return render_certificate_pdf(session, facts, cert.course)

    cert.reissue(holder_name, render)
    details = {
        "code": shown_code(cert),
        "old_name": old_name,
        "new_name": cert.holder_name,
        "old_sha256": old_sha256,
        "new_sha256": cert.pdf_sha256,
    }
    trail.record(session, "certificate.reissue", cert, actor=actor, details=details)


def find_by_code(session: Session, code: str) -> Certificate | None:
    """The certificate of a typed code, with its course; ``None`` for anything else.

    A short code is read in any case, with or without dashes (``certificate_codes``); an older
    22-character code must match exactly, as its letters' case carries its randomness.
    """
    code = (code or "").strip()
    if not code or len(code) > 64:
        return None
    short = normalize_short_code(code)
    condition = Certificate.short_code == short if short else Certificate.code == code
    return session.scalar(select(Certificate).options(joinedload(Certificate.course)).where(condition))


def certificates_of_user(session: Session, user_id: int) -> list[Certificate]:
    """A learner's certificates, newest first, with their courses (one query)."""
    query = (
        select(Certificate)
        .options(joinedload(Certificate.course))
        .where(Certificate.user_id == user_id)
        .order_by(Certificate.issued_at.desc())
    )
    return list(session.scalars(query))


def in_scope(query, scope_paths: list[str] | None):
    """Limit a certificate query to holders in the viewer's units (``None``: everyone)."""
    return query.where(people_in_scope(scope_paths))


def office_query(
    scope_paths: list[str] | None,
    search: str = "",
    course_slug: str = "",
    status: str = "",
    now: datetime | None = None,
):
    """The office list's select: certificates with holder and course, filtered, newest first."""
    query = (
        select(Certificate)
        .join(Certificate.user)
        .join(Certificate.course)
        .options(joinedload(Certificate.user), joinedload(Certificate.course))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    query = in_scope(query, scope_paths)
    if search:
        like = f"%{search.strip().lower()}%"
        short = normalize_short_code(search)
        query = query.where(
            or_(
                func.lower(Certificate.holder_name).like(like),
                func.lower(User.email).like(like),
                Certificate.short_code == short if short else Certificate.code == search.strip(),
            )
        )
    if course_slug:
        query = query.where(Course.slug == course_slug)
    if status in set(CertificateStatus):
        query = query.where(status_condition(status, now or utcnow()))
    return query


# --- Bulk export -------------------------------------------------------------------------------


def request_export(
    session: Session, actor: User | None, course_slug: str | None, unit: OrgUnit | None
) -> CertificateExport:
    """Queue a zip of the certificates of a course and/or unit; the scheduler builds it."""
    export = CertificateExport(
        requested_by_id=actor.id if actor is not None else None,
        course_slug=course_slug or None,
        unit_id=unit.id if unit is not None else None,
    )
    session.add(export)
    session.flush()
    trail.record(
        session, "certificate.export", export, actor=actor, details={"course": course_slug, "unit": export.unit_id}
    )
    return export


def _export_filter(session: Session, export: CertificateExport):
    """The conditions choosing an export's certificates: not revoked, course and unit as asked."""
    conditions = [Certificate.revoked_at.is_(None)]
    if export.course_slug:
        conditions.append(Certificate.course_id.in_(select(Course.id).where(Course.slug == export.course_slug)))
    if export.unit_id:
        unit = session.get(OrgUnit, export.unit_id)
        units = select(OrgUnit.id).where(OrgUnit.path.startswith(unit.path))
        conditions.append(Certificate.user_id.in_(select(User.id).where(User.org_unit_id.in_(units))))
    return and_(*conditions)


def _entry_name(holder_name: str, code: str) -> str:
    safe = re.sub(r"[^\w\- ]+", "", holder_name, flags=re.UNICODE).strip().replace(" ", "_") or "certificate"
    return f"{safe[:80]}-{code}.pdf"


def export_path(export: CertificateExport) -> Path:
    return Path(current_app.config["ADAL_STORAGE_PATH"]) / (export.file_path or f"exports/certificates-{export.id}.zip")


def build_export(session: Session, export: CertificateExport) -> None:
    """Write the export's zip batch by batch, committing progress after each batch."""
    condition = _export_filter(session, export)
    export.total = session.scalar(select(func.count(Certificate.id)).where(condition))
    export.done = 0
    export.file_path = f"exports/certificates-{export.id}.zip"
    session.commit()
    target = export_path(export)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    last_id = 0
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
        while True:
            rows = session.execute(
                select(
                    Certificate.id, Certificate.code, Certificate.short_code, Certificate.holder_name, Certificate.pdf
                )
                .where(condition, Certificate.id > last_id)
                .order_by(Certificate.id)
                .limit(EXPORT_BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                archive.writestr(_entry_name(row.holder_name, shown_code(row)), row.pdf or b"")
            last_id = rows[-1].id
            export.done += len(rows)
            export.progress_at = utcnow()
            session.commit()
    partial.replace(target)
    export.status = ExportStatus.DONE
    export.finished_at = utcnow()
    session.commit()


def claim_export(session: Session) -> CertificateExport | None:
    """Take the oldest queued export; the conditional update makes two schedulers never share one.

    An export "running" with no progress for longer than any batch could take was left by a stopped
    scheduler: it goes back to the queue and is built again from the start.
    """
    last_sign_of_life = func.coalesce(CertificateExport.progress_at, CertificateExport.created_at)
    session.execute(
        update(CertificateExport)
        .where(CertificateExport.status == ExportStatus.RUNNING, last_sign_of_life < utcnow() - EXPORT_STALE)
        .values(status=ExportStatus.QUEUED)
    )
    for export_id in session.scalars(
        select(CertificateExport.id)
        .where(CertificateExport.status == ExportStatus.QUEUED)
        .order_by(CertificateExport.id)
    ).all():
        claimed = session.execute(
            update(CertificateExport)
            .where(CertificateExport.id == export_id, CertificateExport.status == ExportStatus.QUEUED)
            .values(status=ExportStatus.RUNNING, progress_at=utcnow())
        )
        session.commit()
        if claimed.rowcount == 1:
            return session.get(CertificateExport, export_id)
    return None


def run_certificate_exports() -> None:
    """Scheduled job: build every queued export, one at a time."""
    from lms.extensions import db

    session = db.session
    while (export := claim_export(session)) is not None:
        try:
            build_export(session, export)
        except Exception as error:
            session.rollback()
            export = session.get(CertificateExport, export.id)
            export.status = ExportStatus.FAILED
            export.error = f"{type(error).__name__}: {error}"[:2000]
            export.finished_at = utcnow()
            session.commit()
            raise


def init_app(app: Flask) -> None:
    """Issue certificates on completion, build exports on schedule, serve the pages."""
    from courses.certificates import views
    from lms.scheduler import register_job
    from lms.signals import course_completed

    course_completed.connect(on_course_completed, sender=app)
    register_job(app, "certificate-exports", run_certificate_exports, seconds=10)
    app.add_template_global(shown_code, "certificate_code")
    views.init_app(app)
