"""The office's assignment and progress pages: access, the audience builder, assigning and ending."""

import pytest
from sqlalchemy import select

from courses.models import Assignment, Course, CourseStatus, Enrolment, EnrolmentStatus
from lms.models import AuditEvent, PersonKind, Role, UserRole


@pytest.fixture
def course(db):
    course = Course(slug="ethics", status=CourseStatus.PUBLISHED, title={"en": "Code of ethics", "ru": "Кодекс этики"})
    db.session.add(course)
    db.session.commit()
    return course


@pytest.fixture
def officer(make):
    return make.user(roles=[Role.OFFICER], kind=PersonKind.STAFF)


OFFICE_GETS = [
    "/office/courses/",
    "/office/courses/progress/ethics",
    "/office/courses/progress/ethics/export.csv",
    "/office/courses/progress/ethics/export.xlsx",
    "/office/courses/assignments",
    "/office/courses/assignments/new",
    "/office/courses/audience/count?kind=all",
    "/office/courses/people/{learner}",
]
OFFICE_POSTS = ["/office/courses/assignments/new", "/office/courses/assignments/{assignment}/end"]


def test_every_office_route_is_refused_to_learners(app, client, auth, make, db, course):
    learner = make.user()
    assignment = Assignment(course_slug="ethics", audience={"kind": "all"})
    db.session.add(assignment)
    db.session.commit()
    ids = {"learner": learner.id, "assignment": assignment.id}
    auth.login(learner)
    for url in OFFICE_GETS:
        assert client.get(url.format(**ids)).status_code == 403, url
    for url in OFFICE_POSTS:
        assert client.post(url.format(**ids), data={"kind": "all", "course_slug": "ethics"}).status_code == 403, url
    assert db.session.scalar(select(Assignment.active).where(Assignment.id == assignment.id)) is True
    assert db.session.scalars(select(Enrolment)).all() == []


def test_every_office_rule_of_the_blueprint_is_in_the_lists(app):
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("courses_office.")}
    listed = {u.split("?")[0].replace("{learner}", "<int:user_id>") for u in OFFICE_GETS + OFFICE_POSTS}
    listed = {u.replace("{assignment}", "<int:assignment_id>") for u in listed}
    listed |= {"/office/courses/progress/<slug>", "/office/courses/progress/<slug>/export.<any(csv, xlsx):fmt>"}
    assert rules <= listed


def test_visitors_are_sent_to_sign_in(client):
    assert client.get("/office/courses/assignments").status_code == 302


def test_live_count_of_an_audience(client, auth, make, officer):
    unit = make.unit("FIT")
    sub = make.unit("FIT-CS", parent=unit)
    make.user(unit=unit)
    make.user(unit=sub)
    make.user(unit=sub, active=False)
    make.user()
    auth.login(officer)

    whole = client.get("/office/courses/audience/count", query_string={"kind": "unit", "unit_id": unit.id, "sub": "y"})
    assert whole.status_code == 200
    assert whole.json["count"] == 2
    assert whole.json["label"] == "2 people"
    assert whole.json["description"] == "Unit FIT and its sub-units"

    only = client.get("/office/courses/audience/count", query_string={"kind": "unit", "unit_id": unit.id})
    assert only.json["count"] == 1

    everyone = client.get("/office/courses/audience/count", query_string={"rule": '{"kind": "all"}'})
    assert everyone.json["count"] == 4  # the officer too

    wrong = client.get("/office/courses/audience/count", query_string={"kind": "group", "group": ""})
    assert "study group" in wrong.json["error"]
    assert "count" not in wrong.json
    assert client.get("/office/courses/audience/count", query_string={"rule": "{"}).json["error"]


def test_assigning_enrols_the_audience_at_once_and_is_audited(client, auth, make, db, officer, course):
    students = [make.user(study_group="FIT-21") for _ in range(3)]
    make.user(study_group="LAW-22")
    auth.login(officer)
    page = client.get("/office/courses/assignments/new")
    assert page.status_code == 200
    assert b"Code of ethics" in page.data
    assert b"audience-count.js" in page.data

    response = client.post(
        "/office/courses/assignments/new",
        data={
            "course_slug": "ethics",
            "kind": "group",
            "group": "FIT-21",
            "due_mode": "days",
            "due_days": "14",
            "recurring": "y",
            "recurrence_months": "12",
        },
    )
    assert response.status_code == 302
    assignment = db.session.scalars(select(Assignment)).one()
    assert assignment.audience == {"kind": "group", "group": "FIT-21"}
    assert (assignment.due_days, assignment.recurrence_months, assignment.created_by_id) == (14, 12, officer.id)
    enrolled = {e.user_id for e in db.session.scalars(select(Enrolment))}
    assert enrolled == {s.id for s in students}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "assignment.create")).one()
    assert event.details["enrolled"] == 3

    listing = client.get("/office/courses/assignments")
    assert b"study group FIT-21" in listing.data
    assert b"every 12 months" in listing.data


def test_assignment_with_a_due_date_ends_that_day_in_almaty(client, auth, db, officer, course):
    auth.login(officer)
    client.post(
        "/office/courses/assignments/new",
        data={"course_slug": "ethics", "kind": "all", "due_mode": "date", "due_date": "2026-12-25"},
    )
    assignment = db.session.scalars(select(Assignment)).one()
    assert assignment.due_date.strftime("%Y-%m-%d %H:%M") == "2026-12-25 18:59"  # 23:59 at UTC+5
    assert assignment.due_days is None


def test_a_wrong_audience_is_refused_with_its_reason(client, auth, db, officer, course):
    auth.login(officer)
    response = client.post(
        "/office/courses/assignments/new",
        data={"course_slug": "ethics", "kind": "people", "emails": "nobody, at-all", "due_mode": "none"},
    )
    assert response.status_code == 200
    assert b"Not an e-mail address" in response.data
    assert db.session.scalars(select(Assignment)).all() == []


def test_ending_an_assignment_keeps_completions(client, auth, make, db, officer, course):
    done, waiting = make.user(), make.user()
    auth.login(officer)
    client.post(
        "/office/courses/assignments/new", data={"course_slug": "ethics", "kind": "students", "due_mode": "none"}
    )
    assignment = db.session.scalars(select(Assignment)).one()
    finished = db.session.scalars(select(Enrolment).filter_by(user_id=done.id)).one()
    finished.status = EnrolmentStatus.COMPLETED
    db.session.commit()

    response = client.post(f"/office/courses/assignments/{assignment.id}/end")
    assert response.status_code == 302
    db.session.expire_all()
    statuses = {e.user_id: e.status for e in db.session.scalars(select(Enrolment))}
    assert statuses == {done.id: EnrolmentStatus.COMPLETED, waiting.id: EnrolmentStatus.CANCELLED}
    assert db.session.get(Assignment, assignment.id).active is False
    assert b"ended" in client.get("/office/courses/assignments").data


def test_a_unit_head_follows_progress_but_does_not_assign(client, auth, make, db, course):
    unit = make.unit("FIT")
    head = make.user(kind=PersonKind.STAFF)
    head.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=unit.id))
    db.session.commit()
    auth.login(head)
    assert client.get("/office/courses/assignments").status_code == 200
    assert client.get("/office/courses/assignments/new").status_code == 403
    assert client.get("/office/courses/progress/ethics").status_code == 200


def test_person_outside_the_scope_is_not_found(client, auth, make, db, course):
    unit, other = make.unit("FIT"), make.unit("LAW")
    head = make.user(kind=PersonKind.STAFF)
    head.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=unit.id))
    db.session.commit()
    mine, theirs = make.user(unit=unit), make.user(unit=other)
    auth.login(head)
    assert client.get(f"/office/courses/people/{mine.id}").status_code == 200
    assert client.get(f"/office/courses/people/{theirs.id}").status_code == 404
    assert client.get("/office/courses/progress/no-such-course").status_code == 404


def test_office_menu_lists_the_pages(client, auth, officer):
    auth.login(officer)
    page = client.get("/office/courses/").data
    assert b'href="/office/courses/assignments"' in page
    assert b"Training progress" in page


def test_assignment_list_queries_do_not_grow_with_assignments_or_people(
    client, auth, make, db, officer, course, count_queries
):
    auth.login(officer)

    def add(n):
        for _ in range(n):
            unit = make.unit()
            make.user(unit=unit)
            db.session.add(Assignment(course_slug="ethics", audience={"kind": "unit", "unit_id": unit.id}))
        db.session.commit()
        client.post(
            "/office/courses/assignments/new", data={"course_slug": "ethics", "kind": "all", "due_mode": "none"}
        )

    def queries(count_queries):
        with count_queries() as statements:
            page = client.get("/office/courses/assignments")
        assert page.status_code == 200
        return len(statements), page.data.decode()

    add(3)
    few, _ = queries(count_queries)
    add(30)
    many, html = queries(count_queries)
    assert few == many
    assert html.count("and its sub-units") == 33  # a unit rule without "sub" includes them
    assert html.count("<td>everyone</td>") == 2
