"""A session's registrations on paper and in spreadsheets: the sign-in sheet PDF and the CSV/XLSX export.

The sign-in sheet is for a door without a phone: everyone holding a place, by name, with a box to
sign, and empty rows for walk-ins; the office types the ticket codes in afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from events.forms import REGISTRATION_STATUS_LABELS
from events.models import EventSession, Registration, RegistrationStatus
from events.tickets import display_code
from lms.database import localized
from lms.exports import wall_time
from lms.models import User
from lms.office_settings import office_contacts
from lms.pdf import render_pdf

#: Empty rows at the end of the sheet for people who come without a ticket.
WALK_IN_ROWS = 8


def _registrations(session: Session, event_session: EventSession, statuses=None):
    query = (
        select(Registration)
        .where(Registration.session_id == event_session.id)
        .options(selectinload(Registration.user).selectinload(User.org_unit), selectinload(Registration.checked_in_by))
        .order_by(Registration.id)
    )
    if statuses is not None:
        query = query.where(Registration.status.in_(statuses))
    return session.scalars(query)


def export_header() -> list[str]:
    return [
        _("Name"),
        _("E-mail"),
        _("Unit"),
        _("Status"),
        _("Ticket"),
        _("Registered"),
        _("Checked in"),
        _("Checked in by"),
    ]


def export_records(session: Session, event_session: EventSession, locale: str) -> Iterator[list]:
    """One row per registration (waiting and cancelled too), times in the university's zone."""
    zone = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    for r in _registrations(session, event_session):
        user = r.user
        yield [
            r.display_name,
            user.email if user else "",
            localized(user.org_unit.name, locale)[0] if user and user.org_unit else "",
            str(REGISTRATION_STATUS_LABELS.get(r.status, r.status)),
            r.ticket_code,
            wall_time(r.registered_at, zone),
            wall_time(r.checked_in_at, zone),
            r.checked_in_by.full_name if r.checked_in_by else "",
        ]


def sign_in_sheet_pdf(session: Session, event_session: EventSession, locale: str) -> bytes:
    """The printable sheet: people holding a place, sorted by name, then rows for walk-ins."""
    holders = sorted(
        _registrations(
            session,
            event_session,
            (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED, RegistrationStatus.NO_SHOW),
        ),
        key=lambda r: r.display_name.casefold(),
    )
    rows = [
        {
            "name": r.display_name,
            "unit": localized(r.user.org_unit.name, locale)[0] if r.user and r.user.org_unit else "",
            "code": display_code(r.ticket_code),
            "attended": r.status == RegistrationStatus.ATTENDED,
        }
        for r in holders
    ]
    html = render_template(
        "pdf/sign_in_sheet.html",
        event=event_session.event,
        event_session=event_session,
        rows=rows,
        blank_rows=WALK_IN_ROWS,
        university=localized(office_contacts(session).get("university"), locale)[0],
    )
    return render_pdf(html)
