"""Quiz attempts through the pages: the draw, the time limit, submitting once, limits, rules, remedial reading."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from courses.learning import progress, quiz
from courses.models import EnrolmentStatus, ModuleProgress, Question, QuizAttempt
from courses.questions import field_name
from lms.database import utcnow
from tests.courses.builders import answer_form, build_course, enrol, module_of


def _html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def learner(make, auth):
    person = make.user()
    auth.login(person)
    return person


def _start(client, db, enrolment, module) -> QuizAttempt:
    response = client.post(f"/learning/{enrolment.id}/modules/{module.id}/start")
    assert response.status_code == 302
    match = re.search(r"/attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return db.session.get(QuizAttempt, int(match[1]))


def _submit(client, db, enrolment, attempt, correct=True, data=None):
    form = answer_form(db.session, attempt, correct) if data is None else data
    return client.post(f"/learning/{enrolment.id}/attempts/{attempt.id}", data=form, follow_redirects=True)


def _setup(db, learner, **settings):
    course_options = {k: settings.pop(k) for k in ("remedial_after_failures", "lessons") if k in settings}
    course = build_course(db.session, quiz_settings=settings, **course_options)
    return course, enrol(db.session, learner, course), module_of(course, "quiz")


def test_the_draw_is_stored_and_a_reload_shows_the_same_questions(client, db, learner):
    _course, enrolment, module = _setup(db, learner, pools=[{"pool": "main", "draw": 3}])
    attempt = _start(client, db, enrolment, module)
    assert len(attempt.draw) == 3
    first = _html(client.get(f"/learning/{enrolment.id}/attempts/{attempt.id}"))
    again = _start(client, db, enrolment, module)  # "start" again resumes the open attempt
    assert again.id == attempt.id
    second = _html(client.get(f"/learning/{enrolment.id}/attempts/{attempt.id}"))
    shown = re.findall(r'data-question="(\d+)"', first)
    assert shown == re.findall(r'data-question="(\d+)"', second) == [str(e["question_id"]) for e in attempt.draw]


def test_correct_answers_never_reach_the_quiz_page(client, db, learner):
    _course, enrolment, module = _setup(db, learner)
    attempt = _start(client, db, enrolment, module)
    page = _html(client.get(f"/learning/{enrolment.id}/attempts/{attempt.id}"))
    assert "Because of rule" not in page  # explanations
    assert "answer-key" not in page
    for question in module.questions:
        assert question.text["en"] in page
    # the choice options appear in the drawn (shuffled) order, with nothing marking the right one
    single = next(q for q in module.questions if q.kind == "single")
    entry = next(e for e in attempt.draw if e["question_id"] == single.id)
    ids = re.findall(rf'name="{field_name(single.id)}"\s+id="[^"]+" value="(\w)"', page)
    assert ids == entry["options"]
    assert "checked" not in page


def test_a_passing_submit_is_graded_and_shows_feedback(client, db, learner):
    _course, enrolment, module = _setup(db, learner)
    attempt = _start(client, db, enrolment, module)
    page = _html(_submit(client, db, enrolment, attempt))
    db.session.refresh(attempt)
    assert attempt.score == 100 and attempt.passed
    assert set(attempt.results) == {str(e["question_id"]) for e in attempt.draw}
    assert page.count('data-correct="true"') == len(attempt.draw)
    assert "Because of rule" in page


def test_a_failing_submit_shows_explanations_but_hides_answers_until_passed(client, db, learner):
    _course, enrolment, module = _setup(db, learner, show_answers="passed")
    attempt = _start(client, db, enrolment, module)
    page = _html(_submit(client, db, enrolment, attempt, correct=False))
    assert 'id="quiz-result"' in page and 'data-passed="false"' in page
    assert 'id="answers-hidden"' in page
    assert "answer-key" not in page and "Because of rule" not in page
    retry = _start(client, db, enrolment, module)
    page = _html(_submit(client, db, enrolment, retry))
    assert "answer-key" in page


def test_show_answers_never(client, db, learner):
    _course, enrolment, module = _setup(db, learner, show_answers="never")
    attempt = _start(client, db, enrolment, module)
    page = _html(_submit(client, db, enrolment, attempt))
    assert 'data-passed="true"' in page
    assert "answer-key" not in page


def test_a_double_submit_is_refused_and_graded_once(client, db, learner):
    _course, enrolment, module = _setup(db, learner, grading="last")
    attempt = _start(client, db, enrolment, module)
    _submit(client, db, enrolment, attempt, correct=False)
    page = _html(_submit(client, db, enrolment, attempt, correct=True))
    assert "already submitted" in page
    db.session.refresh(attempt)
    assert attempt.score < 100 and not attempt.passed
    row = db.session.scalars(select(ModuleProgress).filter_by(module_id=module.id)).one()
    assert row.failures == 1 and row.score == attempt.score


@pytest.mark.postgres_only
def test_two_simultaneous_submits_grade_once(app, db, make):
    course = build_course(db.session, lessons=0)
    enrolment = enrol(db.session, make.user(), course)
    module = module_of(course, "quiz")
    attempt = quiz.open_attempt(db.session, enrolment, module)
    db.session.commit()
    form = answer_form(db.session, attempt)
    outcomes, barrier = [], threading.Barrier(2)

    def submit():
        from werkzeug.datastructures import MultiDict

        from lms.extensions import db as ext_db

        with app.app_context():
            mine = ext_db.session.get(QuizAttempt, attempt.id)
            barrier.wait()
            try:
                quiz.submit_attempt(ext_db.session, mine, MultiDict(form))
                ext_db.session.commit()
                outcomes.append("graded")
            except quiz.QuizError:
                ext_db.session.rollback()
                outcomes.append("refused")
            finally:
                ext_db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["graded", "refused"]
    db.session.expire_all()
    assert enrolment.status == EnrolmentStatus.COMPLETED
    assert db.session.scalars(select(ModuleProgress)).one().failures == 0


def test_a_submit_after_the_time_limit_is_refused(client, db, learner):
    _course, enrolment, module = _setup(db, learner, time_limit_s=60)
    attempt = _start(client, db, enrolment, module)
    page = _html(client.get(f"/learning/{enrolment.id}/attempts/{attempt.id}"))
    assert re.search(r'id="quiz-timer"\s+data-seconds-left="(59|60)"', page)
    attempt.deadline_at = utcnow() - timedelta(seconds=quiz.GRACE_S + 1)
    db.session.commit()
    page = _html(_submit(client, db, enrolment, attempt))
    assert "time limit had passed" in page
    db.session.refresh(attempt)
    assert attempt.submitted_at is not None and attempt.score == 0 and attempt.answers == {}


def test_a_submit_within_the_grace_period_counts(client, db, learner):
    _course, enrolment, module = _setup(db, learner, time_limit_s=60)
    attempt = _start(client, db, enrolment, module)
    attempt.deadline_at = utcnow() - timedelta(seconds=2)
    db.session.commit()
    _submit(client, db, enrolment, attempt)
    db.session.refresh(attempt)
    assert attempt.passed


def test_an_expired_open_attempt_is_closed_when_the_next_one_starts(client, db, learner):
    _course, enrolment, module = _setup(db, learner, time_limit_s=60)
    attempt = _start(client, db, enrolment, module)
    attempt.deadline_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    second = _start(client, db, enrolment, module)
    assert second.number == 2
    db.session.refresh(attempt)
    assert attempt.submitted_at is not None and attempt.passed is False


def test_an_attempt_just_past_its_deadline_is_closed_before_a_new_one_starts(client, db, learner):
    _course, enrolment, module = _setup(db, learner, time_limit_s=60)
    attempt = _start(client, db, enrolment, module)
    attempt.deadline_at = utcnow() - timedelta(seconds=1)  # within the submit grace
    db.session.commit()
    assert _start(client, db, enrolment, module).number == 2
    open_attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.submitted_at.is_(None))).all()
    assert [a.number for a in open_attempts] == [2]


def test_another_persons_attempt_is_404(client, db, learner, make, auth):
    course = build_course(db.session)
    module = module_of(course, "quiz")
    theirs = enrol(db.session, make.user(), course)
    attempt = quiz.open_attempt(db.session, theirs, module)
    db.session.commit()
    mine = enrol(db.session, learner, course)
    assert client.get(f"/learning/{theirs.id}/attempts/{attempt.id}").status_code == 404
    assert client.get(f"/learning/{mine.id}/attempts/{attempt.id}").status_code == 404
    response = client.post(f"/learning/{mine.id}/attempts/{attempt.id}", data=answer_form(db.session, attempt))
    assert response.status_code == 404
    db.session.refresh(attempt)
    assert attempt.submitted_at is None


def test_answers_to_questions_not_in_the_draw_are_refused(client, db, learner):
    _course, enrolment, module = _setup(db, learner, pools=[{"pool": "main", "draw": 2}])
    attempt = _start(client, db, enrolment, module)
    drawn = {e["question_id"] for e in attempt.draw}
    outside = next(q for q in module.questions if q.id not in drawn)
    data = answer_form(db.session, attempt) | {field_name(outside.id): "a"}
    page = _html(_submit(client, db, enrolment, attempt, data=data))
    assert "not part of this attempt" in page
    db.session.refresh(attempt)
    assert attempt.submitted_at is None


def test_an_answer_that_is_not_an_option_is_refused(client, db, learner):
    _course, enrolment, module = _setup(db, learner)
    attempt = _start(client, db, enrolment, module)
    single = next(q for q in module.questions if q.kind == "single")
    data = answer_form(db.session, attempt) | {field_name(single.id): "zzz"}
    assert "not one of the question" in _html(_submit(client, db, enrolment, attempt, data=data))
    db.session.refresh(attempt)
    assert attempt.submitted_at is None


def test_the_attempts_limit(client, db, learner):
    _course, enrolment, module = _setup(db, learner, max_attempts=2)
    for _ in range(2):
        _submit(client, db, enrolment, _start(client, db, enrolment, module), correct=False)
    response = client.post(f"/learning/{enrolment.id}/modules/{module.id}/start", follow_redirects=True)
    assert "used all your attempts" in _html(response)
    assert len(db.session.scalars(select(QuizAttempt)).all()) == 2


@pytest.mark.parametrize(("rule", "kept"), [("highest", 100), ("last", 0)])
def test_highest_or_last_attempt_counts(client, db, learner, rule, kept):
    course, enrolment, module = _setup(db, learner, grading=rule, lessons=0)
    course.modules.append(
        type(module)(key="extra", position=9, kind="lesson", title={"en": "More"}, body={"en": "x"})
    )  # keeps the course open so a retake is possible after passing
    db.session.commit()
    _submit(client, db, enrolment, _start(client, db, enrolment, module), correct=True)
    _submit(client, db, enrolment, _start(client, db, enrolment, module), correct=False)
    row = db.session.scalars(select(ModuleProgress).filter_by(module_id=module.id)).one()
    assert row.score == kept
    assert (row.completed_at is not None) == (rule == "highest")


def test_remedial_reading_after_repeated_failures(client, db, learner):
    course, enrolment, module = _setup(db, learner, remedial_after_failures=2, lessons=2, remedial_module="lesson-1")
    lesson = module_of(course, "lesson-1")
    for _ in range(2):
        _submit(client, db, enrolment, _start(client, db, enrolment, module), correct=False)
    page = _html(client.get(f"/learning/{enrolment.id}/modules/{module.id}"))
    assert 'id="remedial-link"' in page and f"/modules/{lesson.id}" in page
    refused = client.post(f"/learning/{enrolment.id}/modules/{module.id}/start", follow_redirects=True)
    assert "read the lesson again" in _html(refused)
    assert len(db.session.scalars(select(QuizAttempt)).all()) == 2
    lesson_page = _html(client.get(f"/learning/{enrolment.id}/modules/{lesson.id}"))
    assert f'class="alert alert-warning remedial-note" data-quiz="{module.id}"' in lesson_page
    client.post(f"/learning/{enrolment.id}/modules/{lesson.id}/read")
    third = _start(client, db, enrolment, module)
    assert third.number == 3


def test_without_the_course_setting_there_is_no_remedial_block(client, db, learner):
    _course, enrolment, module = _setup(db, learner)
    for _ in range(3):
        _submit(client, db, enrolment, _start(client, db, enrolment, module), correct=False)
    assert _start(client, db, enrolment, module).number == 4


def test_passing_the_last_required_quiz_completes_the_course(client, db, learner):
    course, enrolment, module = _setup(db, learner)
    client.post(f"/learning/{enrolment.id}/modules/{course.modules[0].id}/read")
    attempt = _start(client, db, enrolment, module)
    response = client.post(f"/learning/{enrolment.id}/attempts/{attempt.id}", data=answer_form(db.session, attempt))
    assert response.headers["Location"].endswith(f"/learning/{enrolment.id}/completed")
    db.session.expire_all()
    assert enrolment.status == EnrolmentStatus.COMPLETED and enrolment.score == 100
    closed = client.post(f"/learning/{enrolment.id}/modules/{module.id}/start", follow_redirects=True)
    assert "completed this course" in _html(closed)


def test_a_partly_right_matching_question_earns_partial_points(db, make):
    course = build_course(db.session, kinds=("matching",))
    enrolment = enrol(db.session, make.user(), course)
    module = module_of(course, "quiz")
    attempt = quiz.open_attempt(db.session, enrolment, module)
    question = db.session.scalars(select(Question)).one()
    from werkzeug.datastructures import MultiDict

    places = {oid: str(place) for place, oid in enumerate(attempt.draw[0]["options"], 1)}
    form = MultiDict({field_name(question.id, "a"): places["a"], field_name(question.id, "b"): places["c"]})
    quiz.submit_attempt(db.session, attempt, form)
    db.session.commit()
    assert attempt.score == 33
    assert attempt.results[str(question.id)] == {"correct": False, "points": 0.33}
    assert progress.display_status(enrolment) == EnrolmentStatus.IN_PROGRESS
