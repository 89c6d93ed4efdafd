"""Issuing certificates: once at completion, rendered once and stored; revoked or re-issued, audited.

Re-issue after a name correction keeps the same code: the code is what is already printed on
papers handed to scholarship committees and auditors, and verifying it should show the corrected
name rather than "revoked". The old and new names and PDF hashes go to the audit log.
"""

import hashlib

from flask import Flask
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from courses.certificates.codes import new_code, new_short_code, shown_code
from courses.certificates.rendering import CertificateFacts, layout_setting, render_certificate_pdf
from courses.learning.progress import add_months
from courses.models import Certificate, Enrolment, User
from lms.audit import trail
from lms.database import as_utc, utcnow


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


def init_app(app: Flask) -> None:
    """Issue certificates on completion; templates print their codes with ``certificate_code``."""
    from lms.signals import course_completed

    course_completed.connect(on_course_completed, sender=app)
    app.add_template_global(shown_code, "certificate_code")
