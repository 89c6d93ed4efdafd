"""Registering: places, the waiting list moving up in order, and 50 people at once for 20 places."""

import threading
from datetime import timedelta

from sqlalchemy import select

from events import registration as registering
from events.models import EventSession, Registration, RegistrationStatus
from lms.database import utcnow
from lms.extensions import db as _db
from lms.models import User
from tests.events.helpers import make_event, outbox_to, registrations


def test_a_full_session_puts_people_on_the_waiting_list_and_cancelling_moves_them_up_in_order(db, make):
    event = make_event(db.session, capacity=2)
    event_session = event.sessions[0]
    people = [make.user() for _ in range(5)]
    for person in people:
        registering.register(db.session, event_session, person, utcnow())
        db.session.commit()
    statuses = {r.user_id: r.status for r in registrations(db.session, event_session)}
    assert [statuses[p.id] for p in people] == ["registered", "registered", "waiting", "waiting", "waiting"]
    assert "Waiting list" in outbox_to(db.session, people[2].email)[0].subject

    first = registering.registration_of(db.session, event_session.id, people[0].id)
    registering.cancel(db.session, first, utcnow())
    db.session.commit()
    second = registering.registration_of(db.session, event_session.id, people[1].id)
    registering.cancel(db.session, second, utcnow())
    db.session.commit()

    statuses = {r.user_id: r.status for r in registrations(db.session, event_session)}
    assert [statuses[p.id] for p in people] == ["cancelled", "cancelled", "registered", "registered", "waiting"]
    promoted = outbox_to(db.session, people[2].email)[-1]
    assert promoted.subject.startswith("Your ticket")
    assert "A place has become free" in promoted.body_text
    assert promoted.attachments[0]["content_type"] == "text/calendar; method=REQUEST"
    assert (
        registering.waiting_rank(db.session, registering.registration_of(db.session, event_session.id, people[4].id))
        == 1
    )


def test_registering_twice_keeps_one_place_and_renewing_a_cancelled_one_keeps_the_ticket(db, make):
    event = make_event(db.session, capacity=5)
    person = make.user()
    first = registering.register(db.session, event.sessions[0], person, utcnow())
    db.session.commit()
    again = registering.register(db.session, event.sessions[0], person, utcnow())
    assert again.id == first.id
    code = first.ticket_code
    registering.cancel(db.session, first, utcnow())
    db.session.commit()
    renewed = registering.register(db.session, event.sessions[0], person, utcnow() + timedelta(seconds=5))
    db.session.commit()
    assert (renewed.id, renewed.ticket_code, renewed.status) == (first.id, code, "registered")
    assert len([m for m in outbox_to(db.session, person.email) if m.subject.startswith("Your ticket")]) == 2


def test_people_outside_the_audience_or_the_window_cannot_register(db, make):
    unit = make.unit()
    inside, outside = make.user(unit=unit), make.user()
    event = make_event(db.session, audience={"kind": "unit", "unit_id": unit.id, "sub": True})
    event_session = event.sessions[0]
    try:
        registering.register(db.session, event_session, outside, utcnow())
        raise AssertionError("registered outside the audience")
    except registering.RegistrationClosed:
        db.session.rollback()
    event.registration_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    try:
        registering.register(db.session, event_session, inside, utcnow())
        raise AssertionError("registered after closing")
    except registering.RegistrationClosed:
        db.session.rollback()
    assert registrations(db.session, event_session) == []


def test_fifty_people_at_once_never_exceed_twenty_places_and_the_rest_wait_in_order(app, db, make):
    event = make_event(db.session, capacity=20)
    session_id = event.sessions[0].id
    user_ids = [make.user().id for _ in range(50)]
    barrier = threading.Barrier(50)
    errors = []

    def register(user_id):
        with app.app_context():
            try:
                barrier.wait()  # before taking a connection: the pool has fewer than 50
                user = _db.session.get(User, user_id)
                event_session = _db.session.get(EventSession, session_id)
                registering.register(_db.session, event_session, user, utcnow())
                _db.session.commit()
            except Exception as error:
                errors.append(repr(error))
                _db.session.rollback()
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=register, args=(uid,)) for uid in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    rows = db.session.scalars(select(Registration).where(Registration.session_id == session_id)).all()
    assert len(rows) == 50
    assert sum(r.status == RegistrationStatus.REGISTERED for r in rows) == 20
    waiting = sorted((r for r in rows if r.status == RegistrationStatus.WAITING), key=lambda r: r.waiting_position)
    assert [r.waiting_position for r in waiting] == list(range(1, 31))
    assert len({r.ticket_code for r in rows}) == 50

    # Places free up: the waiting list moves up in the order people joined it.
    for r in [r for r in rows if r.status == RegistrationStatus.REGISTERED][:3]:
        registering.cancel(db.session, r, utcnow())
        db.session.commit()
    db.session.expire_all()
    moved = [db.session.get(Registration, r.id).status for r in waiting[:4]]
    assert moved == ["registered", "registered", "registered", "waiting"]
