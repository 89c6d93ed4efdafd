"""Filing reports as a reporter does (through the form) or directly (through the service)."""

import re

from concerns.reporting import Report, file_report
from lms.extensions import db

WHAT = "The dean's assistant asked for 50000 tenge to change a grade"


def report_through_form(client, **fields) -> tuple[str, str]:
    """Post the report form; returns the case number and receipt code the receipt shows."""
    data = {"category": "bribery", "what": WHAT, "where": "Room 214", "when": "last Monday", "identity": "anonymous"}
    data.update(fields)
    response = client.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', page).group(1)
    code = re.search(r'id="receipt-code">([^<]+)<', page).group(1)
    return number, code


def report_directly(**fields):
    """A case filed through the service (the web form is tested elsewhere); returns the receipt."""
    receipt = file_report(db.session, Report(**{"category": "bribery", "what": WHAT, **fields}), [])
    db.session.commit()
    return receipt
