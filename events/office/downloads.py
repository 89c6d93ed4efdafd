"""The office's downloads of a session: registrations as CSV or XLSX, the printable sign-in sheet."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_babel import gettext as _

from events.models import EventSession
from events.office import sheets
from lms.audit import trail
from lms.database import localized
from lms.exports import export_response
from lms.extensions import db
from lms.i18n import current_locale
from lms.permissions import OFFICE_ROLES, require_role, university_wide

bp = Blueprint("event_documents", __name__, url_prefix="/office/events")


@bp.route("/sessions/<int:session_id>/registrations.<any(csv, xlsx):fmt>")
@require_role(*OFFICE_ROLES)
@university_wide
def registrations(session_id: int, fmt: str):
    """Every registration of the session with status, ticket and check-in, for a spreadsheet."""
    event_session = db.get_or_404(EventSession, session_id)
    locale = current_locale()
    trail.record(db.session, "event.registrations_export", event_session, details={"format": fmt})
    db.session.commit()
    title = localized(event_session.event.title, locale)[0] or _("Registrations")
    return export_response(
        fmt,
        f"registrations-{event_session.id}",
        title,
        sheets.export_header(),
        sheets.export_records(db.session, event_session, locale),
    )


@bp.route("/sessions/<int:session_id>/sign-in-sheet.pdf")
@require_role(*OFFICE_ROLES)
@university_wide
def sign_in_sheet(session_id: int):
    """The sheet to print for a door without a phone."""
    event_session = db.get_or_404(EventSession, session_id)
    pdf = sheets.sign_in_sheet_pdf(db.session, event_session, current_locale())
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="sign-in-sheet-{event_session.id}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )
