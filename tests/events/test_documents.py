"""A session's registrations as CSV and XLSX, and the sign-in sheet PDF for a door without a phone."""

import csv
import io
import subprocess

import pytest
from openpyxl import load_workbook

from events.checkin import door
from events.models import RegistrationStatus
from lms.database import utcnow
from lms.models import Role
from tests.events.door import ticket
from tests.events.helpers import make_event


@pytest.fixture
def session_with_people(db, make):
    event = make_event(db.session)
    session = event.sessions[0]
    officer = make.user(roles=(Role.OFFICER,), full_name="Officer Door")
    unit = make.unit(en="Law faculty")
    came = ticket(db.session, session, make.user(full_name="Әлия Келді", unit=unit))
    ticket(db.session, session, make.user(full_name="Boris Waiting"), status=RegistrationStatus.WAITING)
    ticket(db.session, session, make.user(full_name="=HYPERLINK(evil)"))
    door.check_in_ticket(db.session, session, came.ticket_code, officer, utcnow())
    db.session.commit()
    return session, officer


def test_registrations_download_as_csv_and_xlsx(client, auth, session_with_people):
    session, officer = session_with_people
    auth.login(officer)

    text = client.get(f"/office/events/sessions/{session.id}/registrations.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["Name", "E-mail", "Unit", "Status"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["Әлия Келді"][2:4] == ["Law faculty", "attended"]
    assert by_name["Әлия Келді"][7] == "Officer Door" and by_name["Әлия Келді"][6]
    assert by_name["Boris Waiting"][3] == "waiting list"
    assert "'=HYPERLINK(evil)" in by_name  # a name is never a formula

    data = client.get(f"/office/events/sessions/{session.id}/registrations.xlsx").data
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]][:2] == ["Name", "E-mail"]
    assert sheet.max_row == 4
    assert client.get(f"/office/events/sessions/{session.id}/registrations.pdf").status_code == 404


def test_the_sign_in_sheet_lists_everyone_holding_a_place(client, auth, session_with_people):
    session, officer = session_with_people
    auth.login(officer)

    response = client.get(f"/office/events/sessions/{session.id}/sign-in-sheet.pdf")

    assert response.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True).stdout.decode()
    assert "Sign-in sheet" in text and "Әлия Келді" in text and "=HYPERLINK(evil)" in text
    assert "Boris Waiting" not in text  # on the waiting list: no place
