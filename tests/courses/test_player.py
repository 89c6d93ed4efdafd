"""The learner's pages: My learning, the player, lessons, resume, attestations, completion."""

import re
from datetime import timedelta

import pytest
from flask_babel import refresh
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from courses.content import course_files_dir
from courses.learning import progress
from courses.models import Attestation, EnrolmentStatus, ModuleProgress, QuizAttempt
from lms.database import as_utc, utcnow
from lms.models import AuditEvent
from lms.signals import course_completed
from tests.courses.builders import answer_form, build_course, enrol, module_of


def _html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def learner(make, auth):
    person = make.user()
    auth.login(person)
    return person


@pytest.fixture
def completions(app):
    """The enrolments the ``course_completed`` signal was sent for."""
    seen = []

    def listener(sender, session, enrolment, **_extra):
        seen.append(enrolment.id)

    course_completed.connect(listener, app)
    yield seen
    course_completed.disconnect(listener, app)


def test_my_learning_lists_courses_with_status_progress_and_next_step(client, db, learner, make, count_queries):
    soon = build_course(db.session, lessons=2, quiz=False)
    late = build_course(db.session, lessons=1, quiz=False)
    done = build_course(db.session, lessons=1, quiz=False)
    e_soon = enrol(db.session, learner, soon, due_at=utcnow() + timedelta(days=3))
    e_late = enrol(db.session, learner, late, due_at=utcnow() - timedelta(days=1))
    e_done = enrol(db.session, learner, done)
    progress.mark_lesson_read(db.session, e_soon, soon.modules[0])
    progress.mark_lesson_read(db.session, e_done, done.modules[0])
    db.session.commit()
    enrol(db.session, make.user(), soon)  # someone else's

    with count_queries() as statements:
        page = _html(client.get("/learning"))
    assert len(statements) <= 10
    statuses = dict(re.findall(r'data-enrolment="(\d+)" data-status="(\w+)"', page))
    assert statuses == {str(e_soon.id): "in_progress", str(e_late.id): "overdue", str(e_done.id): "completed"}
    assert 'data-percent="50"' in page
    assert f'data-module="{soon.modules[1].id}"' in page


def test_the_query_count_does_not_grow_with_courses(client, db, learner, count_queries):
    def measure():
        with count_queries() as statements:
            client.get("/learning")
        return len(statements)

    enrol(db.session, learner, build_course(db.session))
    one = measure()
    for _ in range(4):
        enrol(db.session, learner, build_course(db.session, attestation=True))
    assert measure() == one


def test_index_sends_learners_to_my_learning(client, learner):
    assert client.get("/").headers["Location"].endswith("/learning")


def test_another_persons_enrolment_is_404(client, db, learner, make):
    course = build_course(db.session)
    theirs = enrol(db.session, make.user(), course)
    assert client.get(f"/learning/{theirs.id}").status_code == 404
    assert client.get(f"/learning/{theirs.id}/modules/{course.modules[0].id}").status_code == 404
    assert client.post(f"/learning/{theirs.id}/modules/{course.modules[0].id}/read").status_code == 404


def test_a_module_of_another_course_is_404(client, db, learner):
    mine = enrol(db.session, learner, build_course(db.session))
    other = build_course(db.session)
    assert client.get(f"/learning/{mine.id}/modules/{other.modules[0].id}").status_code == 404


def test_mark_as_read_and_resume_where_i_left_off(client, db, learner):
    course = build_course(db.session, lessons=2)
    enrolment = enrol(db.session, learner, course)
    first, second = course.modules[0], course.modules[1]
    assert client.get(f"/learning/{enrolment.id}").headers["Location"].endswith(f"/modules/{first.id}")
    response = client.post(f"/learning/{enrolment.id}/modules/{first.id}/read")
    assert response.headers["Location"].endswith(f"/modules/{second.id}")
    client.get(f"/learning/{enrolment.id}/modules/{second.id}")
    db.session.expire_all()
    assert enrolment.status == EnrolmentStatus.IN_PROGRESS
    assert enrolment.last_module_id == second.id
    assert client.get(f"/learning/{enrolment.id}").headers["Location"].endswith(f"/modules/{second.id}")
    row = db.session.scalars(select(ModuleProgress).filter_by(module_id=first.id)).one()
    assert row.completed_at is not None


def test_lesson_in_my_language_or_the_default_with_a_note(client, db, make, auth):
    course = build_course(db.session, default_locale="ru", lesson_body={"ru": "## Урок", "en": "## Lesson"})
    lesson = course.modules[0]
    kazakh, english = make.user(locale="kk"), make.user(locale="en")
    auth.login(kazakh)
    page = _html(client.get(f"/learning/{enrol(db.session, kazakh, course).id}/modules/{lesson.id}"))
    assert 'id="fallback-note" data-locale="ru"' in page
    assert "<h2>Урок</h2>" in page
    auth.logout()
    auth.login(english)
    refresh()  # the test shares one app context between requests, where Flask-Babel caches the locale
    page = _html(client.get(f"/learning/{enrol(db.session, english, course).id}/modules/{lesson.id}"))
    assert "fallback-note" not in page
    assert "<h2>Lesson</h2>" in page


def test_script_in_lesson_markdown_does_not_reach_the_page(client, db, learner):
    body = {"en": "## Hi\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1))"}
    course = build_course(db.session, lesson_body=body)
    enrolment = enrol(db.session, learner, course)
    page = _html(client.get(f"/learning/{enrolment.id}/modules/{course.modules[0].id}"))
    lesson = page.split('id="lesson-body"')[1].split("</article>")[0]
    assert "<script" not in lesson
    assert "onerror=" not in lesson.replace("onerror=alert(1)&gt;", "")
    assert 'href="javascript' not in lesson


def test_a_video_line_becomes_an_embedded_nocookie_player(client, db, learner):
    body = {"en": "Watch:\n\nhttps://youtu.be/dQw4w9WgXcQ\n\nhttps://vimeo.com/76979871\n"}
    course = build_course(db.session, lesson_body=body)
    enrolment = enrol(db.session, learner, course)
    page = _html(client.get(f"/learning/{enrolment.id}/modules/{course.modules[0].id}"))
    assert '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in page
    assert '<iframe src="https://player.vimeo.com/video/76979871"' in page


def test_attachments_are_served_to_enrolled_people_only(client, db, learner, make, auth):
    app = client.application

    course = build_course(db.session, lesson_body={"en": "[The code (PDF)](files/code.pdf) ![Logo](./files/logo.png)"})
    folder = course_files_dir(app.config["ADAL_STORAGE_PATH"], course.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "code.pdf").write_bytes(b"%PDF-1.4 test")
    enrolment = enrol(db.session, learner, course)
    page = _html(client.get(f"/learning/{enrolment.id}/modules/{course.modules[0].id}"))
    assert f'href="/learning/files/{course.id}/code.pdf"' in page
    assert f'src="/learning/files/{course.id}/logo.png"' in page
    with client.get(f"/learning/files/{course.id}/code.pdf") as response:
        assert response.data == b"%PDF-1.4 test"
    assert client.get(f"/learning/files/{course.id}/../../secret").status_code == 404
    auth.logout()
    auth.login(make.user())
    assert client.get(f"/learning/files/{course.id}/code.pdf").status_code == 404


def _accept(client, enrolment, module):
    page = _html(client.get(f"/learning/{enrolment.id}/modules/{module.id}"))
    token = re.search(r'name="shown" type="hidden" value="([^"]+)"', page)[1]
    return client.post(f"/learning/{enrolment.id}/modules/{module.id}/accept", data={"shown": token})


def test_attestation_records_version_hash_and_time_and_a_new_version_needs_a_new_signature(client, db, learner):
    course = build_course(db.session, quiz=False, attestation=True)
    enrolment = enrol(db.session, learner, course)
    code = module_of(course, "code")
    _accept(client, enrolment, code)
    signed = db.session.scalars(select(Attestation)).one()
    assert signed.document_version == "2026-1"
    assert signed.document_sha256 == progress.document_sha256("## The code\n\nBe honest.")
    assert signed.user_id == learner.id
    assert as_utc(signed.accepted_at) > utcnow() - timedelta(minutes=1)
    assert _html(client.get(f"/learning/{enrolment.id}/modules/{code.id}")).count('id="attestation-signed"') == 1

    code.settings = {"document_version": "2027-1"}
    db.session.commit()
    page = _html(client.get(f"/learning/{enrolment.id}/modules/{code.id}"))
    assert 'id="attestation-new-version"' in page
    assert code.id not in progress.course_progress(db.session, [enrolment])[enrolment.id].done
    _accept(client, enrolment, code)
    versions = db.session.scalars(select(Attestation.document_version).order_by(Attestation.id)).all()
    assert versions == ["2026-1", "2027-1"]
    events = db.session.scalars(select(AuditEvent).filter_by(action="course.attestation_accepted")).all()
    assert [e.details["version"] for e in events] == versions
    assert {e.actor_id for e in events} == {learner.id}


def test_minimum_reading_time_is_enforced_on_the_server(client, db, learner):
    course = build_course(db.session, quiz=False, attestation=True, attestation_settings={"min_reading_s": 60})
    enrolment = enrol(db.session, learner, course)
    code = module_of(course, "code")
    page = _html(client.get(f"/learning/{enrolment.id}/modules/{code.id}"))
    assert re.search(r'id="accept-document"[^>]*disabled', page)
    _accept(client, enrolment, code)
    assert db.session.scalars(select(Attestation)).all() == []
    forged = client.post(f"/learning/{enrolment.id}/modules/{code.id}/accept", data={"shown": "forged"})
    assert forged.status_code == 302
    assert db.session.scalars(select(Attestation)).all() == []


def test_completion_records_time_score_validity_and_fires_the_signal_once(client, db, learner, completions):
    course = build_course(db.session, validity_months=12, attestation=True)
    enrolment = enrol(db.session, learner, course)
    lesson, quiz_module, code = course.modules
    client.post(f"/learning/{enrolment.id}/modules/{lesson.id}/read")
    client.post(f"/learning/{enrolment.id}/modules/{quiz_module.id}/start")
    attempt = db.session.scalars(select(QuizAttempt)).one()
    client.post(f"/learning/{enrolment.id}/attempts/{attempt.id}", data=answer_form(db.session, attempt))
    assert completions == []
    response = _accept(client, enrolment, code)
    assert response.headers["Location"].endswith(f"/learning/{enrolment.id}/completed")
    db.session.expire_all()
    assert enrolment.status == EnrolmentStatus.COMPLETED
    assert enrolment.score == 100
    assert as_utc(enrolment.valid_until) == progress.add_months(as_utc(enrolment.completed_at), 12)
    assert completions == [enrolment.id]
    page = _html(client.get(f"/learning/{enrolment.id}/completed"))
    assert 'id="course-completed"' in page and 'data-status="completed"' in page
    # reading again after completion changes nothing and fires nothing
    client.post(f"/learning/{enrolment.id}/modules/{lesson.id}/read")
    assert progress.check_completion(db.session, enrolment) is False
    assert completions == [enrolment.id]


def test_completion_fires_once_even_when_checked_twice(db, make, completions):
    course = build_course(db.session, quiz=False)
    enrolment = enrol(db.session, make.user(), course)
    progress.mark_lesson_read(db.session, enrolment, course.modules[0])
    db.session.commit()
    set_committed_value(enrolment, "status", EnrolmentStatus.IN_PROGRESS)  # a stale copy, as in a racing request
    assert progress.check_completion(db.session, enrolment) is False
    db.session.commit()
    assert completions == [enrolment.id]
    assert enrolment.status == EnrolmentStatus.COMPLETED


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [((2026, 1, 31), 1, (2026, 2, 28)), ((2026, 11, 25), 12, (2027, 11, 25)), ((2024, 2, 29), 12, (2025, 2, 28))],
)
def test_add_months(start, months, expected):
    from datetime import datetime

    assert progress.add_months(datetime(*start), months) == datetime(*expected)


def test_a_lesson_page_is_a_bounded_number_of_queries(client, db, learner, count_queries):
    def measure(lessons):
        course = build_course(db.session, lessons=lessons, attestation=True)
        enrolment = enrol(db.session, learner, course)
        client.get(f"/learning/{enrolment.id}/modules/{course.modules[0].id}")  # the first visit writes
        with count_queries() as statements:
            assert client.get(f"/learning/{enrolment.id}/modules/{course.modules[0].id}").status_code == 200
        return len(statements)

    assert measure(2) == measure(9)
