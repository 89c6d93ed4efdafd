"""A certificate of attendance: issued once at the first check-in when the event has its text, verifiable."""

from sqlalchemy import func, select

from courses.models import Certificate
from events.checkin import door
from lms.database import utcnow
from lms.models import Role
from tests.events.door import ticket
from tests.events.helpers import make_event


def test_the_first_check_in_issues_one_verifiable_certificate_of_attendance(db, make, client, auth):
    event = make_event(db.session, certificate_text={"en": "Two hours on the law on corruption."})
    session = event.sessions[0]
    learner = make.user(full_name="Dana Attended", locale="en")
    officer = make.user(roles=(Role.OFFICER,))
    registration = ticket(db.session, session, learner)

    for _ in range(2):
        door.check_in_ticket(db.session, session, registration.ticket_code, officer, utcnow())
        db.session.commit()

    cert = db.session.scalars(select(Certificate).where(Certificate.user_id == learner.id)).one()
    assert cert.registration_id == registration.id and cert.enrolment_id is None and cert.course_id is None
    assert cert.event_title == event.title
    assert cert.pdf.startswith(b"%PDF")
    verified = client.get(f"/verify/{cert.short_code}").get_data(as_text=True)
    assert "Dana Attended" in verified and event.title["en"] in verified and 'data-state="valid"' in verified

    auth.login(learner)
    mine = client.get("/certificates").get_data(as_text=True)
    assert event.title["en"] in mine
    download = client.get(f"/certificates/{cert.id}.pdf")
    assert download.status_code == 200 and download.data == cert.pdf


def test_no_certificate_without_the_events_text_nor_for_a_walk_in(db, make):
    plain = make_event(db.session)
    with_text = make_event(db.session, certificate_text={"en": "Thank you."})
    officer = make.user(roles=(Role.OFFICER,))
    registration = ticket(db.session, plain.sessions[0], make.user())
    door.check_in_ticket(db.session, plain.sessions[0], registration.ticket_code, officer, utcnow())
    door.add_walk_in(db.session, with_text.sessions[0], "Guest Speaker", officer, utcnow())
    db.session.commit()
    assert db.session.scalar(select(func.count(Certificate.id))) == 0
