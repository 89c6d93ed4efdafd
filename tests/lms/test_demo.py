"""The demo university: believable people, a head per faculty, and months of progress a dashboard can show.

The demo is seeded once for the module (it takes seconds); the tests only read it.
"""

import re
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from courses.demo import history as courses_demo
from courses.learning import grading, progress
from courses.learning.quiz import quiz_settings
from courses.models import (
    Attestation,
    Certificate,
    Course,
    Enrolment,
    EnrolmentStatus,
    Module,
    ModuleKind,
    QuizAttempt,
)
from courses.office.enrolment import seed_demo_assignments, sync_assignments
from courses.packs.importing import seed_bundled_packs
from courses.questions import question_type
from lms.database import as_utc, utcnow
from lms.demo import names, university
from lms.extensions import db as _db
from lms.models import OrgUnit, Role, User
from lms.office_settings import office_contacts
from lms.permissions import scope_paths
from tests.conftest import _empty_all_tables

MALE_PATRONYMIC = ("ұлы", "вич")  # Серікұлы, Маратович, Сергеевич
FEMALE_PATRONYMIC = ("қызы", "вна")  # Серікқызы, Маратовна, Сергеевна
FEMALE_SURNAME = ("ова", "ева", "ёва", "ина")
MALE_SURNAME = ("ов", "ев", "ёв", "ин")


@pytest.fixture(scope="module")
def session(app):
    """The whole demo, seeded once on an empty database and committed; emptied after the module."""
    ctx = app.app_context()
    ctx.push()
    assert university.database_is_empty(_db.session)
    university.seed(_db.session)
    _db.session.commit()
    yield _db.session
    _db.session.rollback()
    _db.session.remove()
    _empty_all_tables()
    ctx.pop()


def _people(session) -> list[User]:
    return list(session.scalars(select(User).options(selectinload(User.roles))))


def _gender_of_name(full_name: str) -> set[str]:
    """The genders the parts of a "Surname First Patronymic" name point to (one when consistent)."""
    surname, first, *rest = full_name.split()
    genders = set()
    genders.add("m" if first in names.MALE_FIRST_NAMES else "f" if first in names.FEMALE_FIRST_NAMES else "?")
    if rest:
        (patronymic,) = rest
        genders.add(
            "m" if patronymic.endswith(MALE_PATRONYMIC) else "f" if patronymic.endswith(FEMALE_PATRONYMIC) else "?"
        )
    if surname.endswith(FEMALE_SURNAME):
        genders.add("f")
    elif surname.endswith(MALE_SURNAME):
        genders.add("m")
    return genders


def test_the_demo_seeds_an_empty_database_with_a_few_hundred_people(session):
    people = _people(session)
    kinds = Counter(p.kind for p in people)
    assert kinds["student"] >= 300 and kinds["staff"] >= 80
    emails = {p.email for p in people}
    assert {"student01@demo.metu.kz", "staff01@demo.metu.kz", "officer@demo.metu.kz"} <= emails
    order = university._seeders
    assert order.index(seed_bundled_packs) < order.index(seed_demo_assignments)
    assert order.index(seed_demo_assignments) < order.index(courses_demo.seed_demo_progress)


def test_every_name_is_of_one_gender_and_in_one_order(session):
    """Surname, first name and patronymic agree: no "Нұрлан Серікқызы", no "Анна Петров"."""
    wrong = [p.full_name for p in _people(session) if _gender_of_name(p.full_name) not in ({"m"}, {"f"})]
    assert wrong == []
    assert _gender_of_name("Қасымов Нұрлан Серікқызы") == {"m", "f"}  # the check itself catches a mix


def test_people_speak_the_language_of_their_name_and_title(session):
    people = _people(session)
    for person in people:
        parts = person.full_name.split()
        if parts[-1].endswith(("ұлы", "қызы")):
            assert person.locale == "kk", person.full_name
        if len(parts) == 2:  # no patronymic: the English names
            assert person.locale == "en", person.full_name
    titles = names.ACADEMIC_POSITIONS + names.ADMINISTRATIVE_POSITIONS + [names.DEAN]
    staff = [p for p in people if p.email.startswith(("staff", "head."))]
    assert all(any(p.position == names.position_in(t, p.locale) for t in titles) for p in staff)
    assert {p.locale for p in staff} == {"kk", "ru", "en"}


def test_the_demo_officer_is_the_compliance_officer_of_the_contacts(session):
    officer = session.scalar(select(User).where(User.email == "officer@demo.metu.kz"))
    assert officer.full_name == office_contacts(session)["officer"]["ru"] == "Джексембаев Бахытжан Маратович"
    assert officer.has_role(Role.OFFICER) and scope_paths(officer) is None


def test_each_faculty_has_a_unit_head_who_sees_only_it(app, session):
    faculties = session.scalars(select(OrgUnit).where(OrgUnit.kind == "faculty")).all()
    assert len(faculties) >= 3
    client = app.test_client()
    for faculty in faculties:
        head = session.scalar(select(User).where(User.email == f"head.{faculty.code.lower()}@demo.metu.kz"))
        assert [(r.role, r.scope_unit_id) for r in head.roles] == [(Role.OFFICER, faculty.id)]
        assert scope_paths(head) == [faculty.path]
        assert head.org_unit_id == faculty.id
        client.post("/login", data={"email": head.email, "password": university.HEAD_PASSWORD})
        assert client.get("/office/courses/").status_code == 200  # an office page: signed in, as an officer
        client.post("/logout")


def test_logins_text_prints_a_unit_head_with_the_password(session):
    text = university.logins_text()
    assert re.search(rf"unit head +head\.fit@demo\.metu\.kz +password: {university.HEAD_PASSWORD}", text)
    assert "officer@demo.metu.kz" in text and "student01@demo.metu.kz" in text and "staff01@demo.metu.kz" in text


def test_enrolments_are_in_every_state_a_dashboard_shows(session):
    now = utcnow()
    enrolments = session.scalars(select(Enrolment)).all()
    shown = Counter(progress.display_status(e, now) for e in enrolments)
    assert shown[EnrolmentStatus.COMPLETED] > 300
    assert shown[EnrolmentStatus.IN_PROGRESS] > 20 and shown[EnrolmentStatus.NOT_STARTED] > 20
    assert shown[progress.OVERDUE] > 20
    due_soon = [
        e
        for e in enrolments
        if e.status in (EnrolmentStatus.NOT_STARTED, EnrolmentStatus.IN_PROGRESS)
        and now < as_utc(e.due_at) < now + timedelta(days=30)
    ]
    assert len(due_soon) > 20
    weeks = {
        as_utc(e.completed_at).isocalendar()[:2]
        for e in enrolments
        if e.completed_at and as_utc(e.completed_at) > now - timedelta(weeks=20)
    }
    assert len(weeks) >= 8
    assert {e.course_slug for e in enrolments if e.status == EnrolmentStatus.COMPLETED} == {
        e.course_slug for e in enrolments
    }


def test_failed_attempts_keep_answers_results_and_language(session):
    failed = session.scalars(select(QuizAttempt).where(QuizAttempt.passed.is_(False))).all()
    assert len(failed) > 20
    for attempt in failed:
        drawn = {str(entry["question_id"]) for entry in attempt.draw}
        assert set(attempt.results) == drawn and set(attempt.answers) <= drawn
        assert attempt.locale in ("kk", "ru", "en") and attempt.submitted_at is not None
    in_progress_stuck = session.scalars(
        select(Enrolment).where(
            Enrolment.status == EnrolmentStatus.IN_PROGRESS, Enrolment.id.in_([a.enrolment_id for a in failed])
        )
    ).all()
    assert in_progress_stuck


def test_attempts_are_graded_as_the_quiz_grades_them(session):
    """Re-grading every stored answer with the question types gives the stored results and score."""
    now = utcnow()
    modules = {m.id: m for m in session.scalars(select(Module).options(selectinload(Module.questions)))}
    for attempt in session.scalars(select(QuizAttempt)):
        assert as_utc(attempt.started_at) < as_utc(attempt.submitted_at) <= now
        module = modules[attempt.module_id]
        questions = {q.id: q for q in module.questions}
        earned = []
        for entry in attempt.draw:
            question = questions[entry["question_id"]]
            given = attempt.answers.get(str(question.id))
            fraction = 0.0 if given is None else question_type(question.kind).score(question, given)
            assert attempt.results[str(question.id)] == {
                "correct": fraction >= 1.0,
                "points": round(question.points * fraction, 2),
            }
            earned.append((question.points, fraction))
        assert attempt.score == grading.attempt_score(earned)
        assert attempt.passed == grading.is_passed(attempt.score, quiz_settings(module).pass_mark)


def test_completions_agree_with_the_course_rules(session):
    """Every completed enrolment has every required module done, the course's score and validity."""
    now = utcnow()
    enrolments = session.scalars(
        select(Enrolment).options(
            selectinload(Enrolment.course).selectinload(Course.modules), selectinload(Enrolment.user)
        )
    ).all()
    done = progress.course_progress(session, enrolments)
    for enrolment in enrolments:
        modules = enrolment.course.modules
        required_done = all(m.id in done[enrolment.id].done for m in modules if m.required)
        assert required_done == (enrolment.status == EnrolmentStatus.COMPLETED), enrolment.id
        assert as_utc(enrolment.enrolled_at) >= as_utc(enrolment.user.created_at) - timedelta(seconds=1)
        if enrolment.started_at is not None:
            assert as_utc(enrolment.enrolled_at) <= as_utc(enrolment.started_at) <= now
        if enrolment.status == EnrolmentStatus.COMPLETED:
            completed = as_utc(enrolment.completed_at)
            assert as_utc(enrolment.started_at) <= completed <= now
            scores = [done[enrolment.id].scores.get(m.id) for m in modules if m.kind == ModuleKind.QUIZ]
            assert enrolment.score == grading.course_score(scores)
            months = enrolment.course.validity_months
            assert as_utc(enrolment.valid_until) == (progress.add_months(completed, months) if months else None)


def test_the_history_is_one_the_scheduler_could_have_made(session):
    """The assignments' sync, run now, finds nobody left to enrol (and nobody enrolled twice)."""
    assert sync_assignments(session) == 0
    session.rollback()


def test_older_signatures_of_the_code_of_ethics_are_kept_with_their_version(session):
    signatures = session.execute(
        select(Attestation.document_version, Attestation.document_sha256, Course.version)
        .join(Enrolment, Enrolment.id == Attestation.enrolment_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Course.slug == "code-of-ethics")
    ).all()
    versions = Counter(version for version, _sha, _course in signatures)
    assert versions[courses_demo.PREVIOUS_EDITION] > 20 and versions["2026-1"] > 20
    hashes = defaultdict(set)
    for version, sha256, course_version in signatures:
        hashes[version].add(sha256)
        assert (course_version == 1) == (version == courses_demo.PREVIOUS_EDITION)
    assert not hashes[courses_demo.PREVIOUS_EDITION] & hashes["2026-1"]  # another text, another hash
    # Some people hold only last year's signature, still valid; others signed both editions.
    by_person = defaultdict(set)
    for user_id, version in session.execute(select(Attestation.user_id, Attestation.document_version)):
        by_person[user_id].add(version)
    kinds = Counter(frozenset(v) for v in by_person.values())
    assert (
        kinds[frozenset({courses_demo.PREVIOUS_EDITION})]
        and kinds[frozenset({courses_demo.PREVIOUS_EDITION, "2026-1"})]
    )


def test_some_completions_have_a_certificate_with_its_pdf(session):
    now = utcnow()
    certificates = session.scalars(select(Certificate).options(selectinload(Certificate.enrolment))).all()
    assert 10 <= len(certificates) <= courses_demo.CERTIFICATES + 5
    for cert in certificates:
        assert cert.pdf_sha256 and cert.enrolment.status == EnrolmentStatus.COMPLETED
        assert as_utc(cert.issued_at) == as_utc(cert.enrolment.completed_at)
    assert any(as_utc(c.expires_at) <= now for c in certificates)  # last year's, expired
    student01 = session.scalar(select(User).where(User.email == "student01@demo.metu.kz"))
    assert any(c.user_id == student01.id for c in certificates)
