"""A course's seminar module: done only when the person's ticket is checked in at the linked event."""

from datetime import timedelta

from sqlalchemy import select

from courses.learning.progress import mark_lesson_read
from courses.models import CourseStatus, EnrolmentStatus, Module
from events.checkin import door
from lms.database import utcnow
from lms.models import Role
from tests.courses.builders import build_course, enrol
from tests.events.door import seminar_course, ticket
from tests.events.helpers import make_event


def test_the_course_completes_only_when_the_person_attended(app, db, make):
    event = make_event(db.session)
    session = event.sessions[0]
    course = seminar_course(db.session, event)
    learner, officer = make.user(), make.user(roles=(Role.OFFICER,))
    enrolment = enrol(db.session, learner, course)
    registration = ticket(db.session, session, learner)

    mark_lesson_read(db.session, enrolment, course.modules[0])
    db.session.commit()
    assert enrolment.status == EnrolmentStatus.IN_PROGRESS  # registered is not attended

    other_event = make_event(db.session)
    door.check_in_ticket(
        db.session,
        other_event.sessions[0],
        ticket(db.session, other_event.sessions[0], learner).ticket_code,
        officer,
        utcnow(),
    )
    db.session.commit()
    assert enrolment.status == EnrolmentStatus.IN_PROGRESS  # another event's attendance does not count

    door.check_in_ticket(db.session, session, registration.ticket_code, officer, utcnow())
    db.session.commit()
    db.session.expire_all()
    assert enrolment.status == EnrolmentStatus.COMPLETED


def test_a_person_who_attended_before_the_course_was_given_completes_it_on_opening_the_step(
    app, db, make, client, auth
):
    event = make_event(db.session, starts_in=timedelta(hours=-2))
    session = event.sessions[0]
    learner, officer = make.user(), make.user(roles=(Role.OFFICER,))
    door.check_in_ticket(db.session, session, ticket(db.session, session, learner).ticket_code, officer, utcnow())
    db.session.commit()
    course = seminar_course(db.session, event)
    enrolment = enrol(db.session, learner, course)
    mark_lesson_read(db.session, enrolment, course.modules[0])
    db.session.commit()
    assert enrolment.status == EnrolmentStatus.IN_PROGRESS

    auth.login(learner)
    page = client.get(f"/learning/{enrolment.id}/modules/{course.modules[1].id}").get_data(as_text=True)

    assert 'id="seminar-attended"' in page
    db.session.expire_all()
    assert enrolment.status == EnrolmentStatus.COMPLETED


def test_the_seminar_step_shows_the_event_to_register_for(db, make, client, auth):
    event = make_event(db.session)
    course = seminar_course(db.session, event)
    learner = make.user()
    enrolment = enrol(db.session, learner, course)
    auth.login(learner)

    page = client.get(f"/learning/{enrolment.id}/modules/{course.modules[1].id}").get_data(as_text=True)

    assert 'id="seminar-pending"' in page
    assert event.title["en"] in page and f"/events/{event.id}" in page
    assert db.session.get(type(enrolment), enrolment.id).status != EnrolmentStatus.COMPLETED


def test_an_author_links_a_seminar_module_to_an_event(db, make, client, auth):
    event = make_event(db.session)
    course = build_course(db.session, lessons=1, quiz=False, status=CourseStatus.DRAFT)
    auth.login(make.user(roles=(Role.AUTHOR,)))

    added = client.post(
        f"/author/courses/{course.id}/modules", data={"key": "hall", "kind": "seminar", "title_en": "In the hall"}
    )
    module = db.session.scalars(select(Module).where(Module.key == "hall")).one()
    assert added.headers["Location"].endswith(f"/author/modules/{module.id}")
    form = client.get(f"/author/modules/{module.id}").get_data(as_text=True)
    assert event.title["en"] in form
    client.post(
        f"/author/modules/{module.id}",
        data={"title_en": "In the hall", "body_en": "Bring your ticket.", "required": "y", "event_id": str(event.id)},
    )
    db.session.expire_all()
    assert module.settings == {"event_id": event.id}
    assert module.body == {"en": "Bring your ticket."}


def test_a_recertification_does_not_count_last_cycles_attendance(db, make, client, auth):
    event = make_event(db.session, starts_in=timedelta(days=-300))
    session = event.sessions[0]
    learner, officer = make.user(), make.user(roles=(Role.OFFICER,))
    door.check_in_ticket(
        db.session, session, ticket(db.session, session, learner).ticket_code, officer, utcnow() - timedelta(days=300)
    )
    db.session.commit()
    course = seminar_course(db.session, event)
    enrolment = enrol(db.session, learner, course, cycle=2)

    auth.login(learner)
    page = client.get(f"/learning/{enrolment.id}/modules/{course.modules[1].id}").get_data(as_text=True)

    assert 'id="seminar-pending"' in page
    db.session.expire_all()
    assert enrolment.status != EnrolmentStatus.COMPLETED
