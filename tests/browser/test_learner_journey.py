"""A student (in Russian) opens an assigned course, reads a lesson, fails the quiz, retries, passes, completes."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from courses.models import Question, QuizAttempt
from courses.questions import field_name
from tests.browser.helpers import login
from tests.courses.builders import build_course, enrol

pytestmark = pytest.mark.browser
PACKS = Path(__file__).resolve().parents[2] / "courses" / "bundled"


def _answer_everything_right(page, db, attempt_id: int) -> None:
    """Fill the quiz form through its widgets with the right answers of the stored draw."""
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt_id)
    for entry in attempt.draw:
        question = db.session.get(Question, entry["question_id"])
        name = field_name(question.id)
        if question.kind == "single":
            page.check(f"#{name}-{question.answer}")
        elif question.kind == "multiple":
            for oid in question.answer:
                page.check(f"#{name}-{oid}")
        elif question.kind == "truefalse":
            page.check(f"#{name}-{'true' if question.answer else 'false'}")
        elif question.kind == "ordering":
            for rank, oid in enumerate(question.answer, 1):
                page.select_option(f"#{field_name(question.id, oid)}", str(rank))
        else:
            places = {oid: str(place) for place, oid in enumerate(entry["options"], 1)}
            for option in question.options:
                page.select_option(f"#{field_name(question.id, option['id'])}", places[option["id"]])


def _attempt_id(page) -> int:
    return int(re.search(r"/attempts/(\d+)", page.url)[1])


def test_student_completes_an_assigned_course_in_russian(page, db, make):
    student = make.user(locale="ru")
    course = build_course(db.session, default_locale="ru", quiz_settings={"time_limit_s": 900, "pass_mark": 80})
    enrolment = enrol(db.session, student, course)
    lesson, _quiz = course.modules
    violations = []
    page.on("console", lambda message: violations.append(message.text) if message.type == "error" else None)

    login(page, student.email)
    assert page.url.endswith("/learning")
    assert page.locator("html").get_attribute("lang") == "ru"
    card = page.locator(f".learning-course[data-enrolment='{enrolment.id}']")
    assert card.get_attribute("data-status") == "not_started"

    with page.expect_navigation():
        page.click(f"#open-{enrolment.id}")
    assert page.locator("#module-title").get_attribute("data-module") == str(lesson.id)
    assert page.locator("#lesson-body").inner_text().endswith("(ru)")
    assert page.locator("#fallback-note").count() == 0
    with page.expect_navigation():
        page.click("#mark-read")
    assert page.locator(f"#course-modules [data-module='{lesson.id}']").get_attribute("data-done") == "true"

    # first attempt: handed in empty, so it fails
    assert page.locator("#module-title").get_attribute("data-kind") == "quiz"
    with page.expect_navigation():
        page.click("#start-quiz")
    assert page.locator(".quiz-question").count() == 5
    assert re.fullmatch(r"1[45]:\d\d", page.locator(".quiz-timer-clock").inner_text())
    with page.expect_navigation():
        page.click("#submit-quiz")
    result = page.locator("#quiz-result")
    assert result.get_attribute("data-passed") == "false"
    assert result.get_attribute("data-score") == "0"

    # second attempt: every answer right, through the real widgets
    with page.expect_navigation():
        page.click("#retry-quiz")
    _answer_everything_right(page, db, _attempt_id(page))
    with page.expect_navigation():
        page.click("#submit-quiz")
    completed = page.locator("#course-completed")
    assert completed.get_attribute("data-status") == "completed"
    assert page.locator("#course-score").inner_text() == "100"
    assert page.locator("html").get_attribute("lang") == "ru"

    with page.expect_navigation():
        page.click("#back-to-learning")
    assert page.locator(f"#completed-courses [data-enrolment='{enrolment.id}']").get_attribute("data-status") == (
        "completed"
    )
    assert page.locator("#current-courses .learning-course").count() == 0
    assert not [v for v in violations if "Content Security Policy" in v]


def test_the_reading_timer_enables_the_accept_button(page, db, make):
    student = make.user(locale="ru")
    course = build_course(
        db.session,
        lessons=0,
        quiz=False,
        attestation=True,
        attestation_settings={"document_version": "1", "min_reading_s": 2},
    )
    enrolment = enrol(db.session, student, course)
    login(page, student.email)
    with page.expect_navigation():
        page.click(f"#open-{enrolment.id}")
    button = page.locator("#accept-document")
    hint = page.locator("#reading-hint")
    assert button.is_disabled()
    assert hint.get_attribute("aria-live") == "polite"  # a screen reader hears when the button unlocks
    waiting = hint.inner_text()
    expect(button).to_be_enabled(timeout=5000)
    expect(hint).not_to_have_text(waiting)  # the countdown does not stay once the button is enabled
    with page.expect_navigation():
        button.click()
    assert page.locator("#course-completed").get_attribute("data-status") == "completed"


def test_student_completes_the_bundled_academic_integrity_course_in_russian(page, db, make, app):
    """The same journey on a real course pack: five lessons in Russian, then its scenario quiz."""
    from courses.packs.importing import import_pack
    from courses.packs.validating import load_pack

    pack = load_pack(PACKS / "academic-integrity", strict=True)
    course = import_pack(db.session, pack, publish=True)
    db.session.commit()
    student = make.user(locale="ru")
    enrolment = enrol(db.session, student, course)
    lessons = [m for m in course.modules if m.kind == "lesson"]

    login(page, student.email)
    with page.expect_navigation():
        page.click(f"#open-{enrolment.id}")
    for lesson in lessons:
        assert page.locator("#module-title").get_attribute("data-module") == str(lesson.id)
        assert page.locator("#module-title").inner_text().strip() == lesson.title["ru"]
        assert len(page.locator("#lesson-body").inner_text()) > 1500  # a real lesson, in Russian
        assert page.locator("#fallback-note").count() == 0
        with page.expect_navigation():
            page.click("#mark-read")

    with page.expect_navigation():
        page.click("#start-quiz")
    assert page.locator(".quiz-question").count() == 8  # 5 scenarios + 3 basics drawn from the bank
    with page.expect_navigation():
        page.click("#submit-quiz")
    assert page.locator("#quiz-result").get_attribute("data-passed") == "false"

    with page.expect_navigation():
        page.click("#retry-quiz")
    _answer_everything_right(page, db, _attempt_id(page))
    with page.expect_navigation():
        page.click("#submit-quiz")
    assert page.locator("#course-completed").get_attribute("data-status") == "completed"
    assert page.locator("html").get_attribute("lang") == "ru"
