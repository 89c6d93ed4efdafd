"""The officer assigns a course with the audience builder; the student sees it; the office follows it."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from courses.models import Assignment, Enrolment
from lms.models import PersonKind, Role
from tests.browser.helpers import login
from tests.courses.builders import build_course

pytestmark = pytest.mark.browser


def test_officer_assigns_a_course_and_sees_the_student_in_the_progress_view(page, db, make):
    course = build_course(db.session, slug="integrity")
    officer = make.user(roles=[Role.OFFICER], kind=PersonKind.STAFF)
    students = [make.user(study_group="FIT-21", full_name=f"Student {n}") for n in (1, 2)]
    make.user(study_group="LAW-22")
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    page.on(
        "console", lambda m: failed.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None
    )

    login(page, officer.email)
    page.goto("/office/courses/assignments/new")
    count = page.locator("#audience-count")
    expect(count).to_have_text("4 people")  # everyone active, the officer included
    expect(page.locator("#group")).to_be_hidden()

    page.select_option("#kind", "group")
    expect(page.locator("#group")).to_be_visible()
    expect(count).to_contain_text("study group")  # an empty group is explained, not counted
    page.fill("#group", "FIT-21")
    expect(count).to_have_text("2 people")
    expect(page.locator("#audience-description")).to_have_text("(study group FIT-21)")

    page.check("input[name=due_mode][value=date]")
    expect(page.locator("#due_date")).to_be_visible()
    expect(page.locator("#due_days")).to_be_hidden()
    page.fill("#due_date", "2030-06-30")
    expect(page.locator("#recurrence_months")).to_be_hidden()
    page.check("#recurring")
    expect(page.locator("#recurrence_months")).to_be_visible()
    with page.expect_navigation():
        page.click("#submit")
    expect(page.locator(".alert-success")).to_contain_text("2 people newly enrolled")

    enrolments = db.session.scalars(select(Enrolment).order_by(Enrolment.user_id)).all()
    assert [e.user_id for e in enrolments] == [s.id for s in students]
    assert all(e.course_id == course.id for e in enrolments)
    assignment = db.session.scalars(select(Assignment)).one()
    assert (assignment.recurrence_months, assignment.due_days) == (12, None)

    page.goto("/office/courses/progress/integrity")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Student 1")
    expect(rows.first).to_contain_text("not started")
    assert failed == []  # no refused request, no script error (the CSP allows the builder)
