"""The ticket e-mail and the calendar: code, QR, invitation; a moved session updates it, a cancelled one cancels it."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from events import registration as registering
from events.tickets import ALPHABET, CODE_LENGTH, display_code, normalize_code
from lms.database import utcnow
from lms.models import Role
from tests.events.helpers import calendar_of, deliver_to, make_event
from tests.lms.smtp_server import SmtpServer


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def _vevent(calendar: Calendar):
    return next(c for c in calendar.walk() if c.name == "VEVENT")


def test_ticket_codes_are_short_and_forgiving_to_type(db, make):
    event = make_event(db.session)
    registration = registering.register(db.session, event.sessions[0], make.user(), utcnow())
    code = registration.ticket_code
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert not set("0O1IL5S8B2Z") & set(ALPHABET)
    assert normalize_code(display_code(code).lower()) == code


def test_moved_and_cancelled_sessions_update_every_calendar_with_the_same_uid(client, auth, make, db, smtp):
    officer = make.user(roles=[Role.OFFICER])
    event = make_event(db.session, capacity=5)
    event_session = event.sessions[0]
    people = [make.user(locale=locale) for locale in ("kk", "ru")]
    for person in people:
        registering.register(db.session, event_session, person, utcnow())
        db.session.commit()

    received = deliver_to(db.session, smtp)
    assert len(received) == 2
    ticket = next(m for m in received if m["To"].addresses[0].addr_spec == people[1].email)
    text = ticket.get_body(("plain",)).get_content()
    code = registering.registration_of(db.session, event_session.id, people[1].id).ticket_code
    assert display_code(code) in text and "Семинар о честности" in ticket["Subject"]
    assert 'src="data:image/png;base64,' in ticket.get_body(("html",)).get_content()
    qr = next(part for part in ticket.walk() if part.get_content_type() == "image/png")
    assert qr.get_filename() == "ticket-qr.png" and qr.get_payload(decode=True).startswith(b"\x89PNG")
    invite = calendar_of(ticket)
    assert invite["METHOD"] == "REQUEST"
    first = _vevent(invite)
    uid = str(first["UID"])
    assert uid == event_session.ics_uid and int(first["SEQUENCE"]) == 0
    assert first.decoded("DTSTART") == event_session.starts_at

    auth.login(officer)
    new_start = (event_session.starts_at + timedelta(days=1)).astimezone(ZoneInfo("Asia/Almaty"))
    client.post(
        f"/office/events/{event.id}/sessions/{event_session.id}",
        data={
            "starts_at": new_start.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "90",
            "room": "Room 305",
            "capacity": "5",
        },
    )
    moved = deliver_to(db.session, smtp)[2:]
    assert len(moved) == 2
    for message in moved:
        update = _vevent(calendar_of(message))
        assert str(update["UID"]) == uid and int(update["SEQUENCE"]) == 1
        assert update.decoded("DTSTART") == new_start and "Room 305" in str(update["LOCATION"])

    client.post(f"/office/events/{event.id}/sessions/{event_session.id}/cancel")
    cancelled = deliver_to(db.session, smtp)[4:]
    assert len(cancelled) == 2
    for message in cancelled:
        calendar = calendar_of(message)
        assert calendar["METHOD"] == "CANCEL"
        entry = _vevent(calendar)
        assert str(entry["UID"]) == uid and int(entry["SEQUENCE"]) == 2 and entry["STATUS"] == "CANCELLED"


def test_the_calendar_file_on_the_page_has_the_invitations_uid(client, auth, make, db):
    event = make_event(db.session)
    auth.login(make.user())
    response = client.get(f"/events/{event.id}/sessions/{event.sessions[0].id}/invite.ics")
    assert response.mimetype == "text/calendar"
    assert str(_vevent(Calendar.from_ical(response.data))["UID"]) == event.sessions[0].ics_uid


def test_giving_up_a_place_takes_the_session_out_of_that_persons_calendar(db, make, smtp):
    event = make_event(db.session, capacity=5)
    event_session = event.sessions[0]
    leaving, staying = make.user(locale="en"), make.user(locale="en")
    for person in (leaving, staying):
        registering.register(db.session, event_session, person, utcnow())
    db.session.commit()
    assert len(deliver_to(db.session, smtp)) == 2

    registering.cancel(db.session, registering.registration_of(db.session, event_session.id, leaving.id), utcnow())
    db.session.commit()
    (message,) = deliver_to(db.session, smtp)[2:]
    assert message["To"].addresses[0].addr_spec == leaving.email
    assert "Your place is cancelled, as you asked" in message.get_body(("plain",)).get_content()
    calendar = calendar_of(message)
    assert calendar["METHOD"] == "CANCEL" and str(_vevent(calendar)["UID"]) == event_session.ics_uid
