"""Enrolling assignments' audiences: once per cycle, due dates, recurrence, auto-enrolment, un-assigning."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from courses.models import Assignment, Course, CourseStatus, Enrolment, EnrolmentStatus, ModuleProgress
from courses.office.enrolment import end_assignment, enrol_assignment, sync_assignments
from lms.database import as_utc
from lms.models import PersonKind
from lms.people import importing, spreadsheets
from lms.scheduler import registered_jobs
from lms.signals import people_changed

START = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)


def _course(db, slug="ethics", version=1, status=CourseStatus.PUBLISHED, validity_months=None):
    course = Course(slug=slug, version=version, status=status, title={"en": slug}, validity_months=validity_months)
    db.session.add(course)
    db.session.commit()
    return course


def _assign(db, audience=None, slug="ethics", **fields):
    assignment = Assignment(course_slug=slug, audience=audience or {"kind": "all"}, **fields)
    db.session.add(assignment)
    db.session.commit()
    return assignment


def _enrolments(db, **filters):
    return list(db.session.scalars(select(Enrolment).filter_by(**filters).order_by(Enrolment.user_id, Enrolment.cycle)))


def _complete(db, enrolment, when, valid_until=None):
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.completed_at = when
    enrolment.valid_until = valid_until
    db.session.commit()


@time_machine.travel(START, tick=False)
def test_sync_enrols_once_per_cycle_with_a_relative_due_date(db, make):
    course = _course(db)
    people = [make.user() for _ in range(3)]
    make.user(active=False)
    assignment = _assign(db, due_days=14)

    assert sync_assignments(db.session) == 3
    db.session.commit()
    assert sync_assignments(db.session) == 0  # running it again makes nothing new
    db.session.commit()

    enrolments = _enrolments(db)
    assert [e.user_id for e in enrolments] == [p.id for p in people]
    for enrolment in enrolments:
        assert (enrolment.cycle, enrolment.course_id, enrolment.assignment_id) == (1, course.id, assignment.id)
        assert enrolment.status == EnrolmentStatus.NOT_STARTED
        assert as_utc(enrolment.due_at) == START + timedelta(days=14)


def test_absolute_due_date_and_only_published_versions(db, make):
    _course(db, version=1)
    newest = _course(db, version=2)
    _course(db, version=3, status=CourseStatus.DRAFT)
    _course(db, slug="draft-only", status=CourseStatus.DRAFT)
    person = make.user()
    due = datetime(2026, 12, 25, 18, 59, tzinfo=UTC)
    _assign(db, due_date=due)
    _assign(db, slug="draft-only")

    sync_assignments(db.session)
    db.session.commit()

    (enrolment,) = _enrolments(db)
    assert (enrolment.user_id, enrolment.course_id, as_utc(enrolment.due_at)) == (person.id, newest.id, due)


def test_two_assignments_of_one_course_enrol_a_person_once(db, make):
    _course(db)
    staff = make.user(kind=PersonKind.STAFF)
    _assign(db, {"kind": "staff"})
    _assign(db, {"kind": "all"})
    assert sync_assignments(db.session) == 1
    db.session.commit()
    assert [e.user_id for e in _enrolments(db)] == [staff.id]


def test_recurrence_opens_a_new_cycle_after_validity(db, make):
    _course(db, validity_months=12)
    person = make.user()
    with time_machine.travel(START, tick=False):
        assignment = _assign(db, due_days=30, recurrence_months=12)
        sync_assignments(db.session)
        db.session.commit()
        (first,) = _enrolments(db)
        completed = START + timedelta(days=10)
        _complete(db, first, completed, valid_until=completed + timedelta(days=365))

    with time_machine.travel(completed + timedelta(days=364), tick=False):
        assert sync_assignments(db.session) == 0  # still valid
        db.session.commit()

    renewal_time = completed + timedelta(days=366)
    with time_machine.travel(renewal_time, tick=False):
        assert sync_assignments(db.session) == 1
        db.session.commit()
        assert sync_assignments(db.session) == 0
        db.session.commit()

    first, second = _enrolments(db, user_id=person.id)
    assert first.status == EnrolmentStatus.COMPLETED  # history kept
    assert (second.cycle, second.status, second.assignment_id) == (2, EnrolmentStatus.NOT_STARTED, assignment.id)
    assert as_utc(second.due_at) == renewal_time + timedelta(days=30)


def test_recurrence_without_a_stored_validity_counts_months_from_completion(db, make):
    _course(db)
    make.user()
    with time_machine.travel(START, tick=False):
        _assign(db, recurrence_months=12)
        sync_assignments(db.session)
        db.session.commit()
        _complete(db, _enrolments(db)[0], START)
    with time_machine.travel(START + timedelta(days=360), tick=False):
        assert sync_assignments(db.session) == 0
    with time_machine.travel(START + timedelta(days=370), tick=False):
        assert sync_assignments(db.session) == 1
        db.session.commit()
    assert [e.cycle for e in _enrolments(db)] == [1, 2]


def test_completion_without_recurrence_never_reopens(db, make):
    _course(db)
    make.user()
    with time_machine.travel(START, tick=False):
        _assign(db)
        sync_assignments(db.session)
        db.session.commit()
        _complete(db, _enrolments(db)[0], START, valid_until=START + timedelta(days=1))
    with time_machine.travel(START + timedelta(days=800), tick=False):
        assert sync_assignments(db.session) == 0


def test_people_changed_enrols_a_newly_imported_person_at_once(app, db, make):
    _course(db)
    unit = make.unit("FIT")
    _assign(db, {"kind": "unit", "unit_id": unit.id, "sub": True}, due_days=7)
    outsider = make.user()
    newcomer = make.user(unit=unit)

    people_changed.send(app, session=db.session, user_ids=[newcomer.id, outsider.id])
    db.session.commit()

    assert [e.user_id for e in _enrolments(db)] == [newcomer.id]


def test_a_person_imported_from_a_file_is_enrolled_in_the_import_transaction(app, db, make):
    _course(db)
    fit = make.unit("FIT")
    make.unit("LAW")
    _assign(db, {"kind": "group", "group": "FIT-21"}, due_days=10)
    data = (
        b"email,name,kind,unit,group\n"
        b"new.student@example.kz,New Student,student,FIT,FIT-21\n"
        b"lawyer@example.kz,Law Student,student,LAW,LAW-22\n"
    )
    with app.test_request_context():
        columns, body = spreadsheets.read_table(data)
        result = importing.apply_plan(db.session, importing.plan_import(db.session, columns, body))
        db.session.commit()
    assert len(result.created_ids) == 2
    (enrolment,) = _enrolments(db)
    assert enrolment.user.email == "new.student@example.kz"
    assert enrolment.user.org_unit_id == fit.id


def test_the_scheduler_knows_the_sync_job(app):
    jobs = {job.id: job for job in registered_jobs(app)}
    assert jobs["courses.sync_assignments"].seconds <= 300


def test_sync_job_enrols_and_commits(app, db, make):
    _course(db)
    _assign(db)
    person_id = make.user().id
    job = {job.id: job for job in registered_jobs(app)}["courses.sync_assignments"]
    job.func()
    db.session.remove()
    assert [e.user_id for e in _enrolments(db)] == [person_id]


def test_unassigning_cancels_unfinished_and_keeps_completed_history(db, make):
    _course(db)
    done, started, waiting = make.user(), make.user(), make.user()
    assignment = _assign(db)
    sync_assignments(db.session)
    db.session.commit()
    by_user = {e.user_id: e for e in _enrolments(db)}
    _complete(db, by_user[done.id], START)
    by_user[started.id].status = EnrolmentStatus.IN_PROGRESS
    db.session.commit()

    assert end_assignment(db.session, assignment) == 2
    db.session.commit()
    later = make.user()
    assert sync_assignments(db.session) == 0  # an ended assignment enrols no one
    db.session.commit()

    statuses = {e.user_id: e.status for e in _enrolments(db)}
    assert statuses == {
        done.id: EnrolmentStatus.COMPLETED,
        started.id: EnrolmentStatus.CANCELLED,
        waiting.id: EnrolmentStatus.CANCELLED,
    }
    assert assignment.active is False and assignment.ended_at is not None

    again = _assign(db)  # assigned anew: the cancelled start a next cycle, the completed stay done
    assert enrol_assignment(db.session, again) == 3
    db.session.commit()
    renewed = [(e.user_id, e.cycle) for e in _enrolments(db, assignment_id=again.id)]
    assert renewed == [(started.id, 2), (waiting.id, 2), (later.id, 1)]


def test_learner_in_progress_keeps_their_version_when_a_new_one_is_published(db, make):
    first = _course(db, version=1)
    learner = make.user()
    _assign(db)
    sync_assignments(db.session)
    db.session.commit()
    (enrolment,) = _enrolments(db)
    enrolment.status = EnrolmentStatus.IN_PROGRESS
    db.session.commit()

    second = _course(db, version=2)
    newcomer = make.user()
    sync_assignments(db.session)
    db.session.commit()

    versions = {e.user_id: e.course_id for e in _enrolments(db)}
    assert versions == {learner.id: first.id, newcomer.id: second.id}


def test_demo_assigns_each_bundled_course_to_its_people(db, make):
    from courses.office.enrolment import seed_demo_assignments

    _course(db, slug="for-staff").audience_hint = "staff"
    _course(db, slug="for-all", validity_months=12)
    db.session.commit()
    staff, student = make.user(kind=PersonKind.STAFF), make.user()

    seed_demo_assignments(db.session)
    seed_demo_assignments(db.session)  # seeding twice assigns nothing twice
    db.session.commit()

    assignments = {a.course_slug: a for a in db.session.scalars(select(Assignment))}
    assert assignments["for-staff"].audience == {"kind": "staff"}
    assert (assignments["for-all"].audience, assignments["for-all"].recurrence_months) == ({"kind": "all"}, 12)
    enrolled = {(e.user_id, e.course_slug) for e in _enrolments(db)}
    assert enrolled == {(staff.id, "for-staff"), (staff.id, "for-all"), (student.id, "for-all")}


@pytest.mark.postgres_only
def test_two_syncs_at_once_enrol_each_person_once_without_failing(db, make):
    """An import's enrolment racing the scheduler's: the second waits, then skips the rows."""
    _course(db)
    _assign(db)
    for _ in range(20):
        make.user()
    first, second = Session(db.engine), Session(db.engine)
    made_first = sync_assignments(first)  # holds the new rows' keys until it commits
    results = {}

    def racing():
        results["made"] = sync_assignments(second)
        second.commit()

    thread = threading.Thread(target=racing)
    thread.start()
    thread.join(timeout=1)
    assert thread.is_alive()  # waiting on the first transaction's keys
    first.commit()
    thread.join(timeout=30)
    first.close()
    second.close()
    assert (made_first, results["made"]) == (20, 0)
    assert len(_enrolments(db)) == 20


def test_a_completion_by_the_player_shows_in_the_report_and_renews_after_its_validity(db, make):
    """Across the learner side: the player completes, the report sees it, validity expiry opens cycle 2."""
    from courses.learning.progress import check_completion
    from courses.office.reports import ProgressFilters, course_progress_query
    from tests.courses.builders import build_course

    course = build_course(db.session, slug="ethics", quiz=False, validity_months=12)
    learner = make.user()
    with time_machine.travel(START, tick=False):
        _assign(db, due_days=30, recurrence_months=12)
        sync_assignments(db.session)
        db.session.commit()
        (enrolment,) = _enrolments(db)
        db.session.add(ModuleProgress(enrolment_id=enrolment.id, module_id=course.modules[0].id, completed_at=START))
        assert check_completion(db.session, enrolment)
        db.session.commit()
        (row,) = db.session.execute(course_progress_query("ethics", ProgressFilters()))
        assert (row.user_id, row.state, row.cycle) == (learner.id, "completed", 1)

    with time_machine.travel(START + timedelta(days=364), tick=False):
        assert sync_assignments(db.session) == 0
    with time_machine.travel(START + timedelta(days=366), tick=False):
        assert sync_assignments(db.session) == 1
        db.session.commit()
        (row,) = db.session.execute(course_progress_query("ethics", ProgressFilters()))
        assert (row.state, row.cycle) == ("not_started", 2)
