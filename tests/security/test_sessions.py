"""Sign-ins end on the server: sign-out, sign out everywhere, deactivation, idle and absolute timeouts.

The attacks of issue 12 (findings 1 and 2) are replayed as found: a ``remember_token`` cookie copied
into another browser (a fresh client with another User-Agent and no session cookie).
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import func, select

from lms import sessions
from lms.database import as_utc
from lms.models import AuditEvent, Role, User, UserSession
from tests import factories

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PAGES = ("/profile", "/learning", "/certificates")


@pytest.fixture
def browser(app, db):
    """Another browser: its own cookie jar and another User-Agent."""

    def open_browser(cookie=None):
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (the attacker's browser)"
        if cookie is not None:
            client.set_cookie("remember_token", cookie)
        return client

    return open_browser


def _sign_in(client, person, remember=False):
    data = {"email": person.email, "password": factories.PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return client.get_cookie("remember_token")


def _opens(client, url="/profile") -> bool:
    response = client.get(url)
    assert response.status_code in (200, 302), (url, response.status_code)
    return response.status_code == 200


def _sent_to_sign_in(response, page: str) -> bool:
    target = urlsplit(response.headers.get("Location", ""))
    return response.status_code == 302 and target.path == "/login" and parse_qs(target.query)["next"] == [page]


def _rows(db, person) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == person.id))


def test_a_remember_cookie_copied_before_sign_out_dies_with_it(client, make, browser):
    """Finding 1: the copied cookie opened /profile, /learning and /certificates after sign-out."""
    learner = make.user()
    cookie = _sign_in(client, learner, remember=True).value
    assert all(_opens(browser(cookie), page) for page in PAGES)  # the cookie alone is a sign-in ...

    client.post("/logout")

    assert not any(_opens(browser(cookie), page) for page in PAGES)  # ... until its owner signs out
    assert client.get_cookie("remember_token") is None


def test_a_remembered_browser_stays_signed_in_page_after_page(make, browser):
    learner = make.user()
    cookie = _sign_in(browser(), learner, remember=True).value
    tomorrow = browser(cookie)  # the browser was closed: no session cookie, only the remember-me one
    assert [_opens(tomorrow, page) for page in (*PAGES, *PAGES)] == [True] * 6


def test_the_remember_cookie_lasts_the_configured_days(app, client, make):
    cookie = _sign_in(client, make.user(), remember=True)
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=app.config["ADAL_REMEMBER_DAYS"]) == timedelta(30)
    assert timedelta(days=29) < as_utc(cookie.expires) - datetime.now(UTC) <= timedelta(days=30)


def test_sign_out_ends_only_this_browser(client, make, browser, db):
    learner = make.user()
    other = browser()
    _sign_in(client, learner)
    other_cookie = _sign_in(other, learner, remember=True).value
    client.post("/logout")
    assert _opens(other) and _opens(browser(other_cookie))
    assert _rows(db, learner) == 1


def test_sign_out_everywhere_ends_every_browser_and_is_audited(client, make, browser, db):
    learner = make.user()
    phone, laptop = browser(), browser()
    phone_cookie = _sign_in(phone, learner, remember=True).value
    _sign_in(laptop, learner)
    _sign_in(client, learner)
    assert b"Sign out everywhere" in client.get("/profile").data

    response = client.post("/logout/everywhere", follow_redirects=True)

    assert b"You have signed out everywhere." in response.data
    assert not any(_opens(c) for c in (client, phone, laptop, browser(phone_cookie)))
    assert _rows(db, learner) == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.logout_everywhere")).one()
    assert (event.actor_id, event.target_id, event.details) == (learner.id, str(learner.id), {"count": 3})


def test_deactivation_ends_sessions_for_good(client, auth, make, browser, db):
    """Finding 2: after reactivation, the person's old cookie worked again."""
    learner = make.user()
    learner_browser = browser()
    cookie = _sign_in(learner_browser, learner, remember=True).value
    auth.login(make.user(roles=[Role.OFFICER]))

    client.post(f"/office/people/{learner.id}/active", data={"active": "0"})
    assert not _opens(learner_browser)
    client.post(f"/office/people/{learner.id}/active", data={"active": "1"})

    assert not _opens(learner_browser) and not _opens(browser(cookie))
    assert _rows(db, learner) == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "people.sessions_ended")).one()
    assert (event.target_id, event.details) == (str(learner.id), {"count": 1})
    _sign_in(learner_browser, learner)  # a new sign-in after reactivation works
    assert _opens(learner_browser)


def test_a_new_password_ends_the_other_browsers(client, make, browser, db):
    learner = make.user()
    other = browser()
    _sign_in(other, learner, remember=True)
    _sign_in(client, learner)
    new = "a much longer new password"
    form = {"pw-current": factories.PASSWORD, "pw-password": new, "pw-confirm": new, "pw-submit": "y"}
    assert client.post("/profile", data=form).status_code == 302
    assert _opens(client) and not _opens(other)
    assert _rows(db, learner) == 1


@pytest.mark.parametrize(
    ("roles", "minutes"),
    [((Role.OFFICER,), 30), ((Role.AUTHOR,), 30), ((), 480)],
    ids=["officer", "author", "learner"],
)
def test_idle_timeout_sends_to_sign_in_with_a_message_and_next(client, make, roles, minutes):
    person = make.user(roles=roles)
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, person, remember=bool(roles))  # remember-me does not lift the office's idle limit
        clock.shift(timedelta(minutes=minutes, seconds=1))
        response = client.get("/learning")
        assert _sent_to_sign_in(response, "/learning")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert f"Your session has ended after {minutes} minutes without activity." in page
        assert not _opens(client)  # and the browser forgot it: no second message
        assert "Your session has ended" not in client.get("/login").get_data(as_text=True)


def test_activity_keeps_a_session_alive_past_the_idle_limit(client, make):
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, make.user(roles=[Role.OFFICER]))
        for _ in range(4):
            clock.shift(timedelta(minutes=29))
            assert _opens(client)


def test_absolute_lifetime_ends_even_a_busy_session(app, client, make):
    hours = app.config["ADAL_SESSION_MAX_HOURS"]
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, make.user(roles=[Role.OFFICER]))
        for _ in range(hours * 3):
            clock.shift(timedelta(minutes=20))
            assert _opens(client)
        clock.shift(timedelta(minutes=1))
        response = client.get("/profile")
        assert _sent_to_sign_in(response, "/profile")
        assert f"it lasts at most {hours} hours" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_remembered_learner_stays_in_for_the_remember_days_then_not(app, make, browser):
    days = app.config["ADAL_REMEMBER_DAYS"]
    with time_machine.travel(START, tick=False) as clock:
        cookie = _sign_in(browser(), make.user(), remember=True).value
        clock.shift(timedelta(days=days - 1))  # no activity for weeks: no idle limit
        assert _opens(browser(cookie))
        clock.shift(timedelta(days=1, seconds=1))
        returning = browser(cookie)
        assert not _opens(returning, "/learning")
        assert f"You were remembered for {days} days" in returning.get("/login").get_data(as_text=True)


def test_an_unremembered_learner_cannot_come_back_after_the_lifetime(app, make, browser):
    with time_machine.travel(START, tick=False) as clock:
        learner_browser = browser()
        _sign_in(learner_browser, make.user())
        clock.shift(timedelta(hours=app.config["ADAL_SESSION_MAX_HOURS"], seconds=1))
        assert not _opens(learner_browser)


def test_the_signed_in_person_costs_one_statement_and_last_seen_one_a_minute(app, client, make, db, count_queries):
    person_id = make.user(roles=[Role.OFFICER]).id
    with time_machine.travel(START, tick=False) as clock:
        _sign_in(client, db.session.get(User, person_id))
        with client.session_transaction() as cookie_session:
            session_id = cookie_session["_user_id"]
        db.session.expunge_all()

        def load(method="GET"):
            with app.test_request_context(method=method), count_queries() as statements:
                user = sessions.load_user(session_id)
                assert user.role_names == {Role.OFFICER}
            db.session.expunge_all()
            return len(statements)

        assert load() == 1
        clock.shift(timedelta(seconds=59))
        assert load() == 1
        clock.shift(timedelta(seconds=2))
        assert load("POST") == 1  # a POST never writes it (SQLite's write lock)
        assert load() == 2  # the first GET after a minute does, once
        assert load() == 1
        seen = db.session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == person_id))
        assert seen == START + timedelta(seconds=61)


@pytest.mark.parametrize("session_id", ["1", "1:abc", "x:y:z", "1:abc:missing", ""])
def test_malformed_or_unknown_ids_load_nobody(app, db, make, session_id):
    make.user()
    with app.test_request_context():
        assert sessions.load_user(session_id) is None


#: The defaults of ``lms.config``.
CONFIG = {
    "ADAL_IDLE_MINUTES_OFFICE": 30,
    "ADAL_IDLE_MINUTES_LEARNER": 480,
    "ADAL_SESSION_MAX_HOURS": 12,
    "ADAL_REMEMBER_DAYS": 30,
}


@pytest.mark.parametrize(
    ("office", "remember", "idle_for", "age", "ended"),
    [
        (True, False, timedelta(minutes=30), timedelta(hours=1), None),
        (True, False, timedelta(minutes=31), timedelta(hours=1), "idle"),
        (True, True, timedelta(minutes=31), timedelta(hours=1), "idle"),
        (True, True, timedelta(0), timedelta(hours=12, seconds=1), "lifetime"),
        (False, False, timedelta(hours=8), timedelta(hours=9), None),
        (False, False, timedelta(hours=8, seconds=1), timedelta(hours=9), "idle"),
        (False, False, timedelta(0), timedelta(hours=12, seconds=1), "lifetime"),
        (False, True, timedelta(days=29), timedelta(days=29), None),
        (False, True, timedelta(0), timedelta(days=30, seconds=1), "lifetime"),
    ],
)
def test_limits(office, remember, idle_for, age, ended):
    now = START
    limits = sessions.limits_for(CONFIG, office, remember)
    assert sessions.why_ended(limits, now - age, now - idle_for, now) == ended


def test_ended_sign_ins_are_cleared_away_and_live_ones_kept(app, db, make):
    """The hourly job: people who never come back leave no rows (defaults: 30 days, 12 h, 480 min idle)."""
    person = make.user()
    now = START
    rows = {
        "live": (False, now - timedelta(hours=1), now - timedelta(minutes=5)),
        "idle too long": (False, now - timedelta(hours=10), now - timedelta(hours=9)),
        "too old": (False, now - timedelta(hours=13), now - timedelta(minutes=5)),
        "remembered": (True, now - timedelta(days=20), now - timedelta(days=19)),
        "remembered too long": (True, now - timedelta(days=31), now - timedelta(minutes=5)),
    }
    for key, (remember, created, seen) in rows.items():
        db.session.add(UserSession(id=key, user_id=person.id, remember=remember, created_at=created, last_seen_at=seen))
    db.session.commit()
    assert sessions.clear_ended(db.session, now) == 3
    db.session.commit()
    assert set(db.session.scalars(select(UserSession.id))) == {"live", "remembered"}
