"""The officer opens the dashboard, filters by a faculty, drills down to a person, downloads the PDF report."""

import re
import subprocess

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.models import Role, User
from tests.browser.helpers import login
from tests.dashboard.university import generate

pytestmark = pytest.mark.browser


def test_officer_filters_by_faculty_drills_down_and_downloads_the_pdf(page, db, make, tmp_path):
    uni = generate(db.session, people=90, courses=2, seed=11)
    officer = make.user("officer@uni.example", roles=[Role.OFFICER], full_name="Aigerim Officer")
    faculty = uni.faculties[1]
    department = next(d for d in uni.departments if d.parent_id == faculty.id)
    person = db.session.scalar(
        select(User).where(User.org_unit_id == department.id, User.active.is_(True)).order_by(User.full_name)
    )

    login(page, officer.email)
    expect(page).to_have_url(re.compile(r"/office/dashboard/$"))  # the office lands on its dashboard
    expect(page.locator("#course-table tbody tr")).to_have_count(2)
    expect(page.locator("img.dashboard-chart")).to_have_count(3)

    page.select_option("#unit", str(faculty.id))
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    rows = page.locator("#unit-table tbody tr")
    expect(rows).to_have_count(3)  # the faculty's departments
    with page.expect_navigation():
        page.locator(f'#unit-table tr[data-unit="{department.id}"] a').click()
    expect(page.locator("h1")).to_have_text(department.name["en"])
    with page.expect_navigation():
        page.get_by_role("link", name=person.full_name).click()
    expect(page.locator("h1")).to_contain_text(person.full_name)

    page.goto(f"/office/dashboard/?unit={faculty.id}")
    page.select_option("#report-lang", "kk")
    with page.expect_download() as download:
        page.click("#report-pdf")
    path = tmp_path / "report.pdf"
    download.value.save_as(path)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout.decode()
    assert faculty.name["kk"] in text and "METU университеті" in text
