"""The office's bulk export: a zip of many certificates' PDFs, built by the scheduler batch by batch.

Apart from issuing because it is queued work with its own lifecycle (queued, running, done or
failed) and its own file in storage, whatever certificates it gathers.
"""

import re
import zipfile
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from courses.certificates.codes import shown_code
from courses.models import Certificate, CertificateExport, Course, ExportStatus, User
from lms.audit import trail
from lms.database import utcnow
from lms.models import OrgUnit

EXPORT_BATCH = 200
#: A running export older than this was abandoned by a stopped scheduler.
EXPORT_STALE = timedelta(hours=2)


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
    """Build the queued exports on schedule."""
    from lms.scheduler import register_job

    register_job(app, "certificate-exports", run_certificate_exports, seconds=10)
