"""The second factor: enrolment, the code after the password, replays, recovery codes, the office's duty, reset.

Codes are computed here with ``pyotp`` from the secret the enrolment page shows, as a phone would;
time is frozen and moved by whole 30-second steps.
"""

import re
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
import time_machine
from sqlalchemy import func, select

from lms.audit import trail
from lms.models import AuditEvent, RecoveryCode, Role, TwoFactor, User, UserRole, UserSession
from lms.two_factor import authenticator
from tests import factories

START = datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC)
STEP = timedelta(seconds=30)
OFFICE_PAGES = ("/office/people/", "/office/dashboard/", "/office/audit/", "/office/campaigns/")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def required(app, monkeypatch):
    """Production's rule: anyone with a role must have a second factor (the other tests turn it off)."""
    monkeypatch.setitem(app.config, "ADAL_TWO_FACTOR_REQUIRED", True)


@pytest.fixture
def browser(app, db):
    """Another browser, with its own cookies."""

    def open_browser(address="127.0.0.1"):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        client.environ_base["REMOTE_ADDR"] = address
        return client

    return open_browser


def _password(client, person, next_page=None):
    url = "/login" + (f"?next={next_page}" if next_page else "")
    response = client.post(url, data={"email": person.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    return urlsplit(response.headers["Location"]).path


def _code(client, code):
    return client.post("/login/code", data={"code": code})


def _signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def _enrol(client, person) -> tuple[pyotp.TOTP, list[str]]:
    """Turn the second factor on as a person would: password, scan, first code; the app and the recovery codes."""
    _password(client, person)
    phone = pyotp.TOTP(_secret_on(client.get("/profile/two-factor").text))
    response = client.post("/profile/two-factor", data={"code": phone.now()})
    assert response.status_code == 200
    return phone, re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", response.get_data(as_text=True))


def _secret_on(page: str) -> str:
    """The key the enrolment page shows for typing in, in groups of four."""
    return "".join(re.search(r'id="two-factor-key">([^<]+)<', page).group(1).split())


def _events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _sessions(db, person) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == person.id))


def test_enrolment_shows_a_qr_code_and_turns_on_with_a_first_right_code(client, db, make, clock):
    learner = make.user()
    _password(client, learner)
    assert "/profile/two-factor" in client.get("/profile").get_data(as_text=True)
    page = client.get("/profile/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = _secret_on(page)
    assert secret in client.get("/profile/two-factor").get_data(as_text=True).replace(" ", "")  # same on reload

    wrong = client.post("/profile/two-factor", data={"code": "000000"})
    assert "This code is not right" in wrong.get_data(as_text=True)
    assert db.session.get(TwoFactor, learner.id).confirmed_at is None

    right = client.post("/profile/two-factor", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", right.get_data(as_text=True))
    assert len(set(codes)) == 10
    db.session.expire_all()
    row = db.session.get(TwoFactor, learner.id)
    assert row.confirmed_at is not None
    assert secret not in row.secret, "stored encrypted"
    hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == learner.id)).all()
    assert len(hashes) == 10 and not {c.replace("-", "") for c in codes} & set(hashes)
    assert [e.target_id for e in _events(db, "two_factor.enrolled")] == [str(learner.id)]
    page = client.get("/profile/two-factor").get_data(as_text=True)
    assert "On since" in page and "10 unused recovery codes are left" in page and codes[0] not in page


def test_enrolling_ends_the_sign_ins_made_with_the_password_alone(client, db, make, browser, clock):
    learner = make.user()
    other = browser()
    _password(other, learner)
    _enrol(client, learner)
    assert _signed_in(client)
    assert not _signed_in(other)


def test_sign_in_asks_for_the_code_and_counts_as_signed_in_only_after_it(client, db, make, browser, clock):
    learner = make.user()
    phone, _codes = _enrol(browser(), learner)
    clock.shift(STEP)

    assert _password(client, learner, next_page="/certificates") == "/login/code"
    assert not _signed_in(client), "a right password alone does not sign in"
    assert _code(client, "").status_code == 200  # still waiting, nothing else
    assert _sessions(db, learner) == 1  # only the enrolling browser

    response = _code(client, phone.now())
    assert response.status_code == 302 and response.headers["Location"] == "/certificates"
    assert _signed_in(client)
    login = _events(db, "auth.login")[-1]
    assert login.details == {"second_factor": "code"} and login.actor_id == learner.id


def test_a_wrong_code_is_refused_and_audited(client, db, make, browser, clock):
    learner = make.user()
    phone, _codes = _enrol(browser(), learner)
    clock.shift(STEP)
    _password(client, learner)
    wrong = str((int(phone.now()) + 1) % 1_000_000).zfill(6)
    response = _code(client, wrong)
    assert response.status_code == 200 and "This code is not right" in response.get_data(as_text=True)
    assert not _signed_in(client)
    assert [e.details for e in _events(db, "two_factor.failed")] == [{"reason": "wrong"}]


def test_a_code_is_accepted_once_and_an_earlier_one_never_again(client, db, make, browser, clock):
    learner = make.user()
    phone, _codes = _enrol(browser(), learner)
    clock.shift(STEP * 2)
    code = phone.now()
    _password(client, learner)
    assert _code(client, code).status_code == 302

    thief = browser("10.0.0.9")
    _password(thief, learner)
    response = _code(thief, code)
    assert "This code was used already" in response.get_data(as_text=True)
    assert _code(thief, phone.at(START + STEP)).status_code == 200, "the step before, still within the drift"
    assert not _signed_in(thief)
    assert [e.details["reason"] for e in _events(db, "two_factor.failed")] == ["replayed", "replayed"]

    clock.shift(STEP)
    assert _code(thief, phone.now()).status_code == 302, "the next step's code works"


def test_recovery_codes_sign_in_once_each(client, db, make, browser, clock):
    learner = make.user()
    _phone, codes = _enrol(browser(), learner)

    _password(client, learner)
    response = _code(client, codes[0].upper().replace("-", " "))  # as typed from paper
    assert response.status_code == 302
    assert "9 are left" in client.get("/profile").get_data(as_text=True)
    assert _events(db, "auth.login")[-1].details == {"second_factor": "recovery", "left": 9}
    client.post("/logout")

    _password(client, learner)
    assert "This code is not right" in _code(client, codes[0]).get_data(as_text=True)
    assert _code(client, codes[1]).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, db, make, clock):
    learner = make.user()
    phone, old = _enrol(client, learner)
    clock.shift(STEP)
    response = client.post("/profile/two-factor", data={"code": phone.now()})
    new = re.findall(r"<li>([a-z0-9]{5}-[a-z0-9]{5})</li>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert len(_events(db, "two_factor.recovery_codes")) == 1
    client.post("/logout")
    _password(client, learner)
    assert _code(client, old[0]).status_code == 200
    assert _code(client, new[0]).status_code == 302


@pytest.mark.parametrize(("offset", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_a_code_matches_its_own_step_within_one_step_of_drift(offset, accepted):
    phone = pyotp.TOTP(pyotp.random_base32())
    step = phone.timecode(START)
    code = phone.at(START + offset * STEP)
    assert authenticator.matching_step(phone.secret, code, START) == (step + offset if accepted else None)


@pytest.mark.postgres_only
def test_two_simultaneous_sign_ins_with_one_code_let_one_in(app, db, make):
    learner = make.user()
    phone = pyotp.TOTP(authenticator.pending_secret(db.session, learner))
    authenticator.confirm_enrolment(db.session, learner, phone.at(START), now=START)
    db.session.commit()
    code, outcomes, barrier = phone.at(START + STEP), [], threading.Barrier(2)
    learner_id = learner.id  # read here: this test's session is not for the threads

    def sign_in():
        from lms.extensions import db as ext_db

        with app.app_context():
            mine = ext_db.session.get(User, learner_id)
            barrier.wait()
            try:
                outcomes.append(authenticator.use_code(ext_db.session, mine, code, now=START + STEP))
                ext_db.session.commit()
            except authenticator.CodeRefused as refused:
                ext_db.session.rollback()
                outcomes.append(refused.reason)
            finally:
                ext_db.session.remove()

    threads = [threading.Thread(target=sign_in) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["code", "replayed"]


def test_a_learner_may_turn_it_off_with_a_code_and_the_office_may_not(client, db, make, browser, required, clock):
    learner = make.user()
    phone, _codes = _enrol(client, learner)
    clock.shift(STEP)
    response = client.post("/profile/two-factor", data={"off-code": phone.now(), "off-submit": "y"})
    assert response.headers["Location"] == "/profile"
    assert db.session.get(TwoFactor, learner.id) is None
    assert [e.actor_id for e in _events(db, "two_factor.turned_off")] == [learner.id]
    client.post("/logout")
    assert _password(client, learner) == "/", "the password alone again"

    officer = make.user(roles=[Role.OFFICER])
    office = browser()
    phone, _codes = _enrol(office, officer)
    assert "Turn two-step sign-in off" not in office.get("/profile/two-factor").text
    clock.shift(STEP)
    office.post("/profile/two-factor", data={"off-code": phone.now(), "off-submit": "y"})
    assert db.session.get(TwoFactor, officer.id).confirmed_at is not None


def test_the_wait_for_the_code_is_short(client, db, make, browser, clock):
    learner = make.user()
    phone, _codes = _enrol(browser(), learner)
    _password(client, learner)
    clock.shift(timedelta(minutes=5, seconds=1))
    response = _code(client, phone.now())
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert not _signed_in(client)


def test_the_code_step_is_rate_limited_per_person_whatever_the_address(client, db, make, browser, clock):
    learner = make.user()
    phone, _codes = _enrol(browser(), learner)
    clock.shift(STEP)
    for n in range(5):
        guesser = browser(f"10.0.1.{n}")
        _password(guesser, learner)
        assert _code(guesser, "123456").status_code == 200
    last = browser("10.0.2.1")
    _password(last, learner)
    assert _code(last, phone.now()).status_code == 429


@pytest.mark.parametrize("role", [Role.OFFICER, Role.AUTHOR, Role.ADMIN, "unit head"])
def test_the_office_cannot_open_office_pages_before_enrolling(client, db, make, required, clock, role):
    unit = make.unit()
    person = make.user(roles=[] if role == "unit head" else [role], unit=unit)
    if role == "unit head":
        person.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=unit.id))
        db.session.commit()
    _password(client, person)
    pages = ("/author/",) if role == Role.AUTHOR else OFFICE_PAGES[:1]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"] == "/profile/two-factor", page
    assert "Your role in the office needs two-step sign-in" in client.get("/profile/two-factor").get_data(as_text=True)
    assert client.get("/learning").status_code == 200, "their own learning stays open"

    phone = pyotp.TOTP(_secret_on(client.get("/profile/two-factor").text))
    client.post("/profile/two-factor", data={"code": phone.now()})
    for page in pages:
        assert client.get(page).status_code == 200, page


def test_every_office_blueprint_is_closed_without_the_second_factor(client, db, make, required, clock):
    admin = make.user(roles=[Role.ADMIN])
    _password(client, admin)
    for page in (*OFFICE_PAGES, "/author/", "/office/settings"):
        assert client.get(page).headers.get("Location") == "/profile/two-factor", page


def test_learners_need_no_second_factor(client, db, make, required, clock):
    learner = make.user()
    assert _password(client, learner) == "/"
    assert _signed_in(client)


def test_an_administrator_resets_a_second_factor_only_with_a_reason(app, client, db, make, browser, clock):
    officer = make.user(roles=[Role.OFFICER])
    officer_browser = browser()
    _enrol(officer_browser, officer)
    admin = make.user(roles=[Role.ADMIN])
    _password(client, admin)
    page = client.get(f"/office/people/{officer.id}").get_data(as_text=True)
    assert f'action="/office/people/{officer.id}/two-factor/reset"' in page

    client.post(f"/office/people/{officer.id}/two-factor/reset", data={"reason": ""})
    assert db.session.get(TwoFactor, officer.id) is not None, "no reason, no reset"

    reason = "Lost phone; identity checked in person"
    response = client.post(f"/office/people/{officer.id}/two-factor/reset", data={"reason": reason})
    assert response.headers["Location"] == f"/office/people/{officer.id}"
    db.session.expire_all()
    assert db.session.get(TwoFactor, officer.id) is None
    assert db.session.scalar(select(func.count()).where(RecoveryCode.user_id == officer.id)) == 0
    assert not _signed_in(officer_browser), "their sign-ins end"
    (event,) = _events(db, "two_factor.reset")
    assert (event.actor_id, event.target_id, event.details["reason"]) == (admin.id, str(officer.id), reason)
    with app.test_request_context():
        (told,) = trail.tell(db.session, [event], "en")
    assert told.text == f"{admin.full_name} reset the second factor of {officer.full_name}: {reason}"

    assert _password(officer_browser, officer) == "/", "the password alone again, until they enrol anew"


def test_audit_sentences_tell_the_second_factor_events(app, client, db, make, browser, clock):
    learner = make.user(full_name="Aigerim Seitkali")
    phone, codes = _enrol(browser(), learner)
    clock.shift(STEP)
    _password(client, learner)
    _code(client, "000000")
    _code(client, phone.now())
    client.post("/logout")
    _password(client, learner)
    _code(client, codes[0])
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action != "auth.logout").order_by(AuditEvent.id))
    with app.test_request_context():
        texts = [told.text for told in trail.tell(db.session, events, "en")]
    assert texts == [
        "Aigerim Seitkali signed in",  # to enrol, with the password alone
        "Aigerim Seitkali turned on two-step sign-in",
        "Someone gave a wrong second-factor code for Aigerim Seitkali",
        "Aigerim Seitkali signed in with a code from their authenticator app",
        "Aigerim Seitkali signed in with a recovery code (9 left)",
    ]
