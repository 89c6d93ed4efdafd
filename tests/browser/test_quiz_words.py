"""A Kazakh learner's quiz result names a statement's truth and the verdict with different words (issue 15)."""

import pytest

from tests.browser.helpers import login
from tests.courses.builders import build_course, enrol

pytestmark = pytest.mark.browser


def test_the_kazakh_result_page_tells_the_statement_from_the_verdict(page, db, make):
    student = make.user(locale="kk")
    course = build_course(db.session, default_locale="kk", kinds=("truefalse",), lessons=0)
    enrolment = enrol(db.session, student, course)

    login(page, student.email)
    with page.expect_navigation():
        page.click(f"#open-{enrolment.id}")
    with page.expect_navigation():
        page.click("#start-quiz")
    question = page.locator(".quiz-question[data-kind='truefalse']")
    assert [label.inner_text() for label in question.locator("label.form-check-label").all()] == ["Ақиқат", "Жалған"]
    question.locator("input[value='false']").check()  # the statement is true: this answer is wrong
    with page.expect_navigation():
        page.click("#submit-quiz")

    item = page.locator(".feedback-item")
    assert item.locator(".verdict").inner_text() == "Қате жауап"
    assert "Сіздің жауабыңыз: Жалған" in item.inner_text()
    assert item.locator(".answer-key").inner_text() == "Дұрыс жауап: Ақиқат"
