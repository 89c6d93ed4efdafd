"""Certificates of attendance: the certificate machinery (PDF, code, /verify) for an event attended.

The events package calls :func:`issue_attendance_certificate` at a first check-in when the event
has a certificate text; courses keep the event's title as it was, not a link to the events table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.certificates.issuing import store_certificate, unused_short_code
from courses.certificates.rendering import CertificateFacts, layout_setting, render_certificate_pdf
from courses.models import Certificate
from lms.audit import trail
from lms.database import localized
from lms.models import User


def attendance_certificate(session: Session, registration_id: int) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.registration_id == registration_id))


def issue_attendance_certificate(
    session: Session, *, registration_id: int, user: User, title: dict, text: dict, attended_at: datetime
) -> Certificate:
    """The registration's one certificate of attendance, rendered and stored now if it has none yet.

    As for completions, a concurrent issue for the same registration inserts nothing (ON CONFLICT).
    """
    existing = attendance_certificate(session, registration_id)
    if existing is not None:
        return existing
    facts = CertificateFacts(
        code=unused_short_code(session),
        holder_name=user.full_name,
        score=None,
        locale=user.locale or "kk",
        layout=layout_setting(session),
        issued_at=attended_at,
        expires_at=None,
    )
    pdf = render_certificate_pdf(session, facts, None, attended={"title": title, "text": text})
    store_certificate(
        session, facts, pdf, "registration_id", registration_id=registration_id, event_title=title, user_id=user.id
    )
    cert = attendance_certificate(session, registration_id)
    if cert.short_code == facts.code:
        trail.record(
            session,
            "certificate.attendance",
            cert,
            details={"code": facts.code, "holder": facts.holder_name, "event": title, "registration": registration_id},
        )
    return cert


def certificate_title(cert: Certificate, locale: str) -> str:
    """What a certificate is for: its course, or the event attended."""
    if cert.course is not None:
        return localized(cert.course.title, locale)[0] or cert.course.slug
    return localized(cert.event_title, locale)[0]
