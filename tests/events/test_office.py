"""The office's event pages: create an event and its sessions in Almaty time, publish, see registrations."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from events import registration as registering
from events.models import Event, EventSession
from lms.database import utcnow
from lms.models import AuditEvent, Role
from tests.events.helpers import make_event, outbox_to


@pytest.fixture
def officer(auth, make):
    person = make.user(roles=[Role.OFFICER], locale="en")
    auth.login(person)
    return person


EVENT_FORM = {
    "title_en": "9 December: Anti-Corruption Day",
    "title_ru": "9 декабря: День борьбы с коррупцией",
    "description_en": "A round table with invited NGOs.",
    "kind": "round_table",
    "audience_kind": "staff",
    "audience_mode": "may_register",
    "capacity": "40",
}


def test_officer_creates_an_event_with_a_session_in_almaty_time_and_publishes_it(client, officer, db):
    response = client.post("/office/events/new", data=EVENT_FORM)
    event = db.session.scalars(select(Event)).one()
    assert response.headers["Location"].endswith(f"/office/events/{event.id}/sessions/new")
    assert event.title["ru"].startswith("9 декабря") and event.audience == {"kind": "staff"}

    response = client.post(
        f"/office/events/{event.id}/sessions/new",
        data={"starts_at": "2026-12-09T10:00", "duration_minutes": "120", "room": "Aula", "capacity": "40"},
    )
    assert response.status_code == 302
    event_session = db.session.scalars(select(EventSession)).one()
    assert event_session.starts_at == datetime(2026, 12, 9, 5, 0, tzinfo=UTC)  # 10:00 in Almaty (UTC+5)
    assert event_session.ics_uid and event_session.ics_sequence == 0

    client.post(f"/office/events/{event.id}/publish")
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "published"
    page = client.get(f"/office/events/{event.id}").get_data(as_text=True)
    assert "09.12.2026" in page or "12/9/26" in page or "9 Dec" in page or "Dec 9" in page
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"event.create", "event.session", "event.publish"} <= set(actions)


def test_a_session_link_must_be_a_web_address(client, officer, db):
    event = make_event(db.session)
    response = client.post(
        f"/office/events/{event.id}/sessions/new",
        data={
            "starts_at": "2026-12-09T10:00",
            "duration_minutes": "60",
            "capacity": "5",
            "online_url": "javascript://x%0aalert(1)",
        },
    )
    assert response.status_code == 200
    assert len(db.session.scalars(select(EventSession).where(EventSession.event_id == event.id)).all()) == 1


def test_the_registrations_list_shows_every_status(client, officer, db, make):
    event = make_event(db.session, capacity=1)
    event_session = event.sessions[0]
    first, second = make.user(full_name="Aigerim Nurlanovna"), make.user(full_name="Daniyar Bekov")
    for person in (first, second):
        registering.register(db.session, event_session, person, utcnow())
        db.session.commit()
    show = client.get(f"/office/events/{event.id}").get_data(as_text=True)
    assert "1 of 3 people have a place" in show  # the audience is everyone: the officer and the two learners
    page = client.get(f"/office/events/{event.id}/sessions/{event_session.id}/registrations").get_data(as_text=True)
    assert "Aigerim Nurlanovna" in page and "Daniyar Bekov" in page
    assert 'data-status="registered"' in page and 'data-status="waiting"' in page
    index = client.get("/office/events/").get_data(as_text=True)
    assert "Integrity seminar" in index


def test_unit_heads_and_learners_are_refused_the_office_pages(client, auth, make, db):
    event = make_event(db.session)
    unit = make.unit()
    auth.login(make.user(roles=[]))
    assert client.get("/office/events/").status_code == 403
    assert client.post(f"/office/events/{event.id}/publish").status_code == 403
    auth.logout()
    head = make.user()
    from lms.models import UserRole

    db.session.add(UserRole(user_id=head.id, role=Role.OFFICER, scope_unit_id=unit.id))
    db.session.commit()
    auth.login(head)
    assert client.get(f"/office/events/{event.id}").status_code == 403


def test_learner_sees_the_events_of_their_audience_registers_and_cancels(client, auth, make, db):
    unit = make.unit()
    learner = make.user(unit=unit)
    mine = make_event(db.session, audience={"kind": "unit", "unit_id": unit.id, "sub": True})
    other = make_event(db.session, audience={"kind": "staff"}, title={"en": "Staff only"})
    auth.login(learner)
    page = client.get("/events/").get_data(as_text=True)
    assert "Integrity seminar" in page and "Staff only" not in page
    assert client.get(f"/events/{other.id}").status_code == 404

    session_id = mine.sessions[0].id
    client.post(f"/events/{mine.id}/sessions/{session_id}/register")
    page = client.get(f"/events/{mine.id}").get_data(as_text=True)
    registration = registering.registration_of(db.session, session_id, learner.id)
    assert registration.status == "registered"
    assert "data-ticket-code" in page and registration.ticket_code[:4] in page and "<svg" in page

    client.post(f"/events/{mine.id}/sessions/{session_id}/cancel")
    db.session.expire_all()
    assert registering.registration_of(db.session, session_id, learner.id).status == "cancelled"


def test_more_places_move_the_waiting_list_up_at_once(client, officer, db, make):
    event = make_event(db.session, capacity=1)
    event_session = event.sessions[0]
    first, second = make.user(), make.user()
    for person in (first, second):
        registering.register(db.session, event_session, person, utcnow())
        db.session.commit()
    starts = event_session.starts_at.astimezone(ZoneInfo("Asia/Almaty")).strftime("%Y-%m-%dT%H:%M")
    client.post(
        f"/office/events/{event.id}/sessions/{event_session.id}",
        data={"starts_at": starts, "duration_minutes": "90", "room": event_session.room, "capacity": "2"},
    )
    db.session.expire_all()
    assert registering.registration_of(db.session, event_session.id, second.id).status == "registered"
    assert db.session.get(EventSession, event_session.id).ics_sequence == 0  # same time and place: no update


def test_cancelling_the_event_cancels_every_session_and_tells_everyone(client, officer, db, make):
    event = make_event(db.session, capacity=1, sessions=2)
    first, second = make.user(), make.user()
    for person in (first, second):
        registering.register(db.session, event.sessions[0], person, utcnow())
        db.session.commit()
    client.post(f"/office/events/{event.id}/cancel")
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.status == "cancelled" and {s.status for s in event.sessions} == {"cancelled"}
    for person in (first, second):
        assert outbox_to(db.session, person.email)[-1].subject == "Cancelled: Integrity seminar"
