"""The audience rule language: each rule selects the right active people, once, in SQL."""

from datetime import timedelta

import pytest

from courses.audience.rules import AudienceError, audience_user_ids, count_audience, describe_rule, validate_rule
from courses.models import Course, CourseStatus, Enrolment, EnrolmentStatus
from lms.database import utcnow
from lms.models import PersonKind


def _ids(db, rule):
    return set(db.session.scalars(audience_user_ids(validate_rule(rule, db.session))))


@pytest.fixture
def campus(make):
    """A faculty with a department, a student and staff member in each, a group, an inactive person."""
    faculty = make.unit("FIT", kind="faculty", en="Faculty of IT")
    dept = make.unit("FIT-CS", parent=faculty, en="Computer Science")
    other = make.unit("LAW")
    people = {
        "fac_student": make.user(unit=faculty, study_group="FIT-21"),
        "dept_student": make.user(unit=dept, study_group="FIT-21"),
        "dept_staff": make.user(unit=dept, kind=PersonKind.STAFF),
        "law_staff": make.user(unit=other, kind=PersonKind.STAFF, email="Lawyer@Example.kz".lower()),
        "law_student": make.user(unit=other, study_group="LAW-22"),
        "gone": make.user(unit=dept, study_group="FIT-21", active=False),
    }
    return {"faculty": faculty, "dept": dept, "other": other, **people}


def test_all_staff_students_select_active_people_by_kind(db, campus):
    everyone = {campus[k].id for k in ("fac_student", "dept_student", "dept_staff", "law_staff", "law_student")}
    assert _ids(db, {"kind": "all"}) == everyone
    assert _ids(db, {"kind": "staff"}) == {campus["dept_staff"].id, campus["law_staff"].id}
    assert _ids(db, {"kind": "students"}) == {
        campus["fac_student"].id,
        campus["dept_student"].id,
        campus["law_student"].id,
    }
    assert count_audience(db.session, {"kind": "all"}) == 5


def test_unit_with_and_without_sub_units(db, campus):
    faculty, dept = campus["faculty"], campus["dept"]
    with_subs = {campus[k].id for k in ("fac_student", "dept_student", "dept_staff")}
    assert _ids(db, {"kind": "unit", "unit_id": faculty.id, "sub": True}) == with_subs
    assert _ids(db, {"kind": "unit", "unit_id": faculty.id, "sub": False}) == {campus["fac_student"].id}
    assert _ids(db, {"kind": "unit", "unit_id": dept.id}) == {campus["dept_student"].id, campus["dept_staff"].id}


def test_group_and_pasted_list(db, campus):
    assert _ids(db, {"kind": "group", "group": "FIT-21"}) == {campus["fac_student"].id, campus["dept_student"].id}
    listed = {"kind": "people", "emails": f"{campus['law_staff'].email.upper()}, nobody@example.kz\n"}
    assert _ids(db, listed) == {campus["law_staff"].id}


def test_union_counts_a_person_matching_twice_once(db, campus):
    rule = {
        "kind": "any",
        "rules": [{"kind": "group", "group": "FIT-21"}, {"kind": "unit", "unit_id": campus["dept"].id}],
    }
    expected = {campus[k].id for k in ("fac_student", "dept_student", "dept_staff")}
    rows = list(db.session.scalars(audience_user_ids(validate_rule(rule))))
    assert len(rows) == len(set(rows)) == 3
    assert set(rows) == expected
    assert count_audience(db.session, rule) == 3


def _enrol(db, user, slug, **fields):
    enrolment = Enrolment(user=user, course_id=_course(db, slug).id, course_slug=slug, **fields)
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def _course(db, slug):
    course = db.session.query(Course).filter_by(slug=slug).first()
    if course is None:
        course = Course(slug=slug, status=CourseStatus.PUBLISHED, title={"en": "Code of ethics"})
        db.session.add(course)
        db.session.commit()
    return course


def test_course_status_rules(db, campus):
    now = utcnow()
    open_soon = _enrol(db, campus["fac_student"], "ethics", due_at=now + timedelta(days=3))
    open_later = _enrol(db, campus["dept_student"], "ethics", due_at=now + timedelta(days=30))
    late = _enrol(db, campus["dept_staff"], "ethics", due_at=now - timedelta(days=1), status="in_progress")
    done = _enrol(
        db,
        campus["law_staff"],
        "ethics",
        status=EnrolmentStatus.COMPLETED,
        completed_at=now - timedelta(days=5),
        due_at=now - timedelta(days=2),
    )
    _enrol(db, campus["law_student"], "ethics", status=EnrolmentStatus.CANCELLED)
    _enrol(db, campus["gone"], "ethics", due_at=now - timedelta(days=1))  # inactive: never selected

    def ids(*enrolments):
        return {e.user_id for e in enrolments}

    assert _ids(db, {"kind": "not_completed", "course": "ethics"}) == ids(open_soon, open_later, late)
    assert _ids(db, {"kind": "due_within", "course": "ethics", "days": 7}) == ids(open_soon)
    assert _ids(db, {"kind": "overdue", "course": "ethics"}) == ids(late)
    assert _ids(db, {"kind": "completed_within", "course": "ethics", "days": 30}) == ids(done)
    assert _ids(db, {"kind": "completed_within", "course": "ethics", "days": 2}) == set()


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("everyone", "must be an object"),
        ({"kind": "nobody"}, "Unknown kind of audience"),
        ({"kind": "unit"}, "Choose an org unit"),
        ({"kind": "unit", "unit_id": 999999}, "does not exist"),
        ({"kind": "group", "group": "  "}, "Enter a study group"),
        ({"kind": "people", "emails": []}, "at least one e-mail"),
        ({"kind": "people", "emails": ["not-an-address"]}, "Not an e-mail address: not-an-address"),
        ({"kind": "overdue"}, "Choose a course"),
        ({"kind": "overdue", "course": "no-such-course"}, "There is no course no-such-course"),
        ({"kind": "due_within", "course": "ethics", "days": 0}, "number of days"),
        ({"kind": "any", "rules": []}, "at least one rule"),
        ({"kind": "any", "rules": [{"kind": "any", "rules": [{"kind": "any", "rules": [{"kind": "any"}]}]}]}, "nested"),
    ],
)
def test_validation_says_what_is_wrong(app, db, rule, message):
    _course(db, "ethics")
    with app.test_request_context(), pytest.raises(AudienceError, match=message):
        validate_rule(rule, db.session)


def test_describe_in_each_language(db, campus):
    _course(db, "ethics")
    rule = {
        "kind": "any",
        "rules": [
            {"kind": "unit", "unit_id": campus["faculty"].id, "sub": True},
            {"kind": "overdue", "course": "ethics"},
        ],
    }
    assert describe_rule(rule, "en") == "Faculty of IT and its sub-units or overdue in “Code of ethics”"
    assert "FIT" in describe_rule(rule, "kk")
    assert describe_rule({"kind": "people", "emails": ["a@b.kz"]}, "en") == "1 listed person"
