"""Check-in at the door: by code, twice, from two phones at once, sent late from an offline phone, walk-ins."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from events.checkin import door as checkin_door
from events.models import Registration, RegistrationStatus
from lms.database import as_utc, utcnow
from lms.models import AuditEvent, Role
from tests import factories
from tests.events.door import ticket
from tests.events.helpers import make_event


@pytest.fixture
def officer(make):
    return make.user(roles=(Role.OFFICER,), full_name="Officer Door")


@pytest.fixture
def door(client, auth, officer):
    """The officer's phone, signed in."""
    auth.login(officer)
    return client


def _post(client, event_session, **body):
    return client.post(f"/office/events/sessions/{event_session.id}/check-in", json=body)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _check_ins(db, registration) -> int:
    return db.session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "event.check_in", AuditEvent.target_id == str(registration.id)
        )
    )


def test_a_typed_code_checks_the_ticket_in_once(db, door, make, officer):
    event = make_event(db.session)
    session = event.sessions[0]
    learner = make.user(full_name="Aigerim Door")
    registration = ticket(db.session, session, learner)
    latin_to_cyrillic = str.maketrans("ACEHKMPTXY", "АСЕНКМРТХУ")  # as typed on a Kazakh keyboard
    typed = f"{registration.ticket_code[:4].lower()} - {registration.ticket_code[4:].translate(latin_to_cyrillic)}"

    first = _post(door, session, kind="code", code=typed)
    assert first.status_code == 200
    assert first.json["result"] == "checked_in"
    assert "Aigerim Door" in first.json["message"]
    assert first.json["counts"] == {"attended": 1, "expected": 1}
    db.session.expire_all()
    checked_at = as_utc(registration.checked_in_at)
    assert registration.status == RegistrationStatus.ATTENDED
    assert registration.checked_in_by_id == officer.id

    again = _post(door, session, kind="code", code=registration.ticket_code)
    assert again.json["result"] == "already"
    db.session.expire_all()
    assert as_utc(registration.checked_in_at) == checked_at
    assert _check_ins(db, registration) == 1


def test_the_same_ticket_from_two_phones_at_once_counts_once(app, db, make, officer):
    event = make_event(db.session)
    session = event.sessions[0]
    registration = ticket(db.session, session, make.user())
    phones = []
    for _ in range(2):
        phone = app.test_client()
        signed_in = phone.post("/login", data={"email": officer.email, "password": factories.PASSWORD})
        assert signed_in.status_code == 302
        phones.append(phone)
    url, code = f"/office/events/sessions/{session.id}/check-in", registration.ticket_code
    start, answers, errors = threading.Barrier(2), [], []

    def scan(phone):
        try:
            start.wait(timeout=10)
            response = phone.post(url, json={"kind": "code", "code": code, "scanned_at": _iso(utcnow())})
            answers.append(response.json["result"])
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=scan, args=(phone,)) for phone in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(answers) == ["already", "checked_in"]
    db.session.expire_all()
    assert registration.status == RegistrationStatus.ATTENDED
    assert _check_ins(db, registration) == 1


def test_an_offline_check_in_sent_later_keeps_the_time_it_was_made(db, door, make):
    event = make_event(db.session, starts_in=timedelta(minutes=-30))
    session = event.sessions[0]
    registration = ticket(db.session, session, make.user())
    scanned = utcnow() - timedelta(minutes=25)

    answer = _post(door, session, kind="code", code=registration.ticket_code, scanned_at=_iso(scanned))

    assert answer.json["result"] == "checked_in"
    db.session.expire_all()
    assert abs(as_utc(registration.checked_in_at) - scanned) < timedelta(seconds=1)


def test_a_phone_with_a_wrong_clock_is_corrected_by_how_long_the_check_in_waited(db, door, make):
    event = make_event(db.session, starts_in=timedelta(minutes=-30))
    session = event.sessions[0]
    registration = ticket(db.session, session, make.user())
    phone_clock = utcnow() + timedelta(hours=3)  # three hours fast

    _post(
        door,
        session,
        kind="code",
        code=registration.ticket_code,
        scanned_at=_iso(phone_clock - timedelta(minutes=10)),
        sent_at=_iso(phone_clock),
    )

    db.session.expire_all()
    assert abs(as_utc(registration.checked_in_at) - (utcnow() - timedelta(minutes=10))) < timedelta(seconds=5)


def test_a_scan_time_is_never_in_the_future_nor_before_the_sessions_day(app, db, make):
    event = make_event(db.session, starts_in=timedelta(days=2))
    session = event.sessions[0]
    now = utcnow()
    assert checkin_door.door_time(session, now + timedelta(hours=5), None, now) == now
    day_start = checkin_door.door_time(session, now - timedelta(days=30), None, now + timedelta(days=3))
    assert day_start == checkin_door.session_day_start(session)
    assert day_start.astimezone(checkin_door.ZoneInfo("Asia/Almaty")).hour == 0
    assert checkin_door.door_time(session, None, None, now) == now
    assert checkin_door.utc_from_client("2026-12-01T10:00:00") is None  # no zone: not believed
    assert checkin_door.utc_from_client("yesterday") is None


def test_walk_ins_are_added_by_name_once(db, door):
    event = make_event(db.session)
    session = event.sessions[0]

    first = _post(door, session, kind="walk_in", name="  Guest  From NGO ")
    again = _post(door, session, kind="walk_in", name="guest from ngo")

    assert (first.json["result"], again.json["result"]) == ("checked_in", "already")
    walk_ins = db.session.scalars(select(Registration).where(Registration.session_id == session.id)).all()
    assert [(r.name, r.user_id, r.status) for r in walk_ins] == [("Guest From NGO", None, RegistrationStatus.ATTENDED)]
    assert walk_ins[0].checked_in_at is not None


def test_unknown_cancelled_and_other_sessions_tickets_are_refused(db, door, make):
    event = make_event(db.session)
    other = make_event(db.session)
    session = event.sessions[0]
    cancelled = ticket(db.session, session, make.user(), status=RegistrationStatus.CANCELLED)
    waiting = ticket(db.session, session, make.user(), status=RegistrationStatus.WAITING)
    elsewhere = ticket(db.session, other.sessions[0], make.user())

    results = [
        _post(door, session, kind="code", code=code).json["result"]
        for code in ("ACDEFGHJ", cancelled.ticket_code, waiting.ticket_code, elsewhere.ticket_code)
    ]

    assert results == ["unknown", "not_admitted", "not_admitted", "other_session"]
    db.session.expire_all()
    assert {r.status for r in (cancelled, waiting, elsewhere)} == {
        RegistrationStatus.CANCELLED,
        RegistrationStatus.WAITING,
        RegistrationStatus.REGISTERED,
    }


def test_malformed_check_ins_are_refused(db, door):
    session = make_event(db.session).sessions[0]
    assert door.post(f"/office/events/sessions/{session.id}/check-in", data="x").status_code == 400
    assert _post(door, session, kind="dance").status_code == 400
    assert _post(door, session, kind="code", code="").status_code == 400
    assert _post(door, session, kind="walk_in", name="   ").status_code == 400
    assert _post(door, session, kind="code", code=["A"]).status_code == 400


def test_the_check_in_endpoint_needs_the_csrf_token(app, db, door, make, monkeypatch):
    session = make_event(db.session).sessions[0]
    registration = ticket(db.session, session, make.user())
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = door.get(f"/office/events/sessions/{session.id}/check-in").get_data(as_text=True)
    token = page.split('data-csrf="', 1)[1].split('"', 1)[0]

    refused = _post(door, session, kind="code", code=registration.ticket_code)
    accepted = door.post(
        f"/office/events/sessions/{session.id}/check-in",
        json={"kind": "code", "code": registration.ticket_code},
        headers={"X-CSRFToken": token},
    )

    assert refused.status_code == 400
    assert accepted.json["result"] == "checked_in"


def test_the_check_in_page_may_use_the_camera_and_learners_may_not_open_it(db, client, auth, make, door):
    session = make_event(db.session).sessions[0]
    page = door.get(f"/office/events/sessions/{session.id}/check-in")
    assert page.status_code == 200
    assert page.headers["Permissions-Policy"].startswith("camera=(self)")
    html = page.get_data(as_text=True)
    assert 'id="checkin-code"' in html and "events/vendor/jsQR.js" in html and "events/checkin.js" in html
    auth.logout()
    auth.login(make.user())
    assert client.get(f"/office/events/sessions/{session.id}/check-in").status_code == 403
    assert _post(client, session, kind="walk_in", name="Intruder").status_code == 403
