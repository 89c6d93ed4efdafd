"""Finding certificates: by a typed code, a learner's own, the office's filtered list, and their state.

Apart from issuing because these only read: the pages (``views``) and reports ask them, and the
state a certificate is in is worked out from its dates, never stored.
"""

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, joinedload

from courses.certificates.codes import normalize_short_code
from courses.models import Certificate, CertificateStatus, Course, User
from lms.database import as_utc, utcnow
from lms.permissions import people_in_scope


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
