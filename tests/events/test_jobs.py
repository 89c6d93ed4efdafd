"""The scheduled event e-mails: "registration is open", the day before, the hour before, thank you; each once."""

from datetime import timedelta

import time_machine

from events import registration as registering
from events.jobs import run_event_mail
from events.models import RegistrationStatus
from lms.database import utcnow
from tests.events.helpers import make_event, outbox_to


def _subjects(db, person) -> list[str]:
    return [m.subject for m in outbox_to(db.session, person.email)]


def test_registration_is_open_goes_to_the_audience_once_when_registration_opens(db, make):
    staff, student = make.user(kind="staff"), make.user(kind="student")
    event = make_event(db.session, audience={"kind": "staff"}, registration_opens_at=utcnow() + timedelta(hours=2))
    run_event_mail()
    assert _subjects(db, staff) == []
    with time_machine.travel(utcnow() + timedelta(hours=3)):
        run_event_mail()
        run_event_mail()
    assert _subjects(db, staff) == ["Registration is open: Integrity seminar"]
    assert _subjects(db, student) == []
    assert f"/events/{event.id}" in outbox_to(db.session, staff.email)[0].body_text


def test_reminders_go_the_day_before_and_the_hour_before_and_thanks_after_to_those_who_came(db, make):
    event = make_event(db.session, starts_in=timedelta(days=3))
    event_session = event.sessions[0]
    came, stayed_away, cancelled = make.user(), make.user(), make.user()
    for person in (came, stayed_away, cancelled):
        registering.register(db.session, event_session, person, utcnow())
    registering.cancel(db.session, registering.registration_of(db.session, event_session.id, cancelled.id), utcnow())
    db.session.commit()
    start = event_session.starts_at

    for moment in (start - timedelta(hours=20), start - timedelta(hours=19), start - timedelta(minutes=50)):
        with time_machine.travel(moment):
            run_event_mail()
    reminders = [s for s in _subjects(db, came) if not s.startswith(("Your ticket", "Registration is open"))]
    assert reminders == ["Tomorrow: Integrity seminar", "In an hour: Integrity seminar"]
    assert not [s for s in _subjects(db, cancelled) if s.startswith(("Tomorrow", "In an hour"))]

    registering.registration_of(db.session, event_session.id, came.id).status = RegistrationStatus.ATTENDED
    db.session.commit()
    with time_machine.travel(start + timedelta(hours=2)):  # ended half an hour ago: late check-ins may come
        run_event_mail()
    assert not [s for s in _subjects(db, came) if s.startswith("Thank you")]
    for moment in (start + timedelta(hours=3), start + timedelta(hours=4)):
        with time_machine.travel(moment):
            run_event_mail()
    assert _subjects(db, came)[-1] == "Thank you for coming: Integrity seminar"
    assert f"/events/sessions/{event_session.id}/feedback" in outbox_to(db.session, came.email)[-1].body_text
    assert len([s for s in _subjects(db, came) if s.startswith("Thank you")]) == 1
    assert not [s for s in _subjects(db, stayed_away) if s.startswith("Thank you")]
    assert registering.registration_of(db.session, event_session.id, stayed_away.id).status == "no_show"


def test_a_session_booked_late_gets_only_the_hour_reminder(db, make):
    event = make_event(db.session, starts_in=timedelta(hours=5))
    person = make.user()
    registering.register(db.session, event.sessions[0], person, utcnow())
    db.session.commit()
    run_event_mail()
    with time_machine.travel(event.sessions[0].starts_at - timedelta(minutes=30)):
        run_event_mail()
    assert [s for s in _subjects(db, person) if not s.startswith(("Your ticket", "Registration"))] == [
        "In an hour: Integrity seminar"
    ]
