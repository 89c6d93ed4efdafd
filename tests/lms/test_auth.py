"""Signing in and out, passwords, reset links, rate limits, CSRF and safe redirects."""

import re

import pytest
from sqlalchemy import select

from lms import accounts
from lms.models import AuditEvent, OutboxMessage, Role


def _actions(db):
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_login_then_logout(client, auth, make, db):
    person = make.user()
    response = auth.login(person)
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    auth.logout()
    assert client.get("/profile").status_code == 302
    assert _actions(db) == ["auth.login", "auth.logout"]


def test_wrong_password_is_refused_and_audited(client, auth, make, db):
    person = make.user()
    response = auth.login(person, "wrong password")
    assert response.status_code == 200
    assert b"Wrong e-mail or password" in response.data
    assert client.get("/profile").status_code == 302
    event = db.session.scalars(select(AuditEvent)).one()
    assert event.action == "auth.login_failed"
    assert event.details["email"] == person.email


def test_inactive_person_cannot_sign_in(client, auth, make):
    person = make.user(active=False)
    auth.login(person)
    assert client.get("/profile").status_code == 302


def test_login_is_rate_limited(app, client, auth, make):
    person = make.user()
    limit = int(app.config["ADAL_LOGIN_LIMIT"].split()[0])
    for _ in range(limit):
        assert auth.login(person, "wrong").status_code == 200
    blocked = auth.login(person)  # even the right password waits now
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/profile", "/profile"),
        ("https://evil.example/phish", "/"),
        ("//evil.example/phish", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_redirects_only_to_this_site(client, make, target, expected):
    person = make.user()
    response = client.post(
        "/login", query_string={"next": target}, data={"email": person.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def _reset_link(db) -> str:
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    return re.search(r"http://adal\.test(/password/reset/\S+)", message.body_text).group(1)


def test_forgot_password_sends_a_working_single_use_link(client, auth, make, db):
    person = make.user(locale="ru")
    response = client.post("/password/forgot", data={"email": person.email.upper()})
    assert response.status_code == 302
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.to_addr == person.email
    assert "парол" in message.subject.lower()  # in the person's language
    link = _reset_link(db)
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "a brand new secret", "confirm": "a brand new secret"})
    assert response.status_code == 302
    assert auth.login(person, "a brand new secret").status_code == 302
    auth.logout()
    reused = client.post(link, data={"password": "another new secret", "confirm": "another new secret"})
    assert reused.status_code == 400
    assert b"already been used" in reused.data


def test_forgot_password_for_unknown_address_says_the_same(client, db):
    response = client.post("/password/forgot", data={"email": "nobody@example.kz"}, follow_redirects=True)
    assert b"If this address belongs to an account" in response.data
    assert db.session.scalars(select(OutboxMessage)).first() is None


def test_expired_and_tampered_reset_links_are_refused(app, client, make, db):
    person = make.user()
    with app.test_request_context():
        token = accounts.make_password_token(person)
    app.config["ADAL_RESET_MAX_AGE"] = -1
    try:
        expired = client.get(f"/password/reset/{token}")
    finally:
        app.config["ADAL_RESET_MAX_AGE"] = 7200
    assert expired.status_code == 400
    assert b"expired" in expired.data
    tampered = client.get(f"/password/reset/{token[:-2]}xx")
    assert tampered.status_code == 400
    assert b"not valid" in tampered.data


def test_learner_gets_403_naming_the_missing_role(client, auth, make):
    auth.login(make.user())
    response = client.get("/office/settings")
    assert response.status_code == 403
    assert b"compliance officer" in response.data


def test_officer_edits_contacts_shown_in_the_footer(client, auth, make, db):
    auth.login(make.user(roles=[Role.OFFICER]))
    page = client.get("/office/settings")
    assert b"8 (701) 739 69 82" in page.data
    data = {f"{k}_{loc}": f"{k} {loc}" for k in ("university", "officer", "room") for loc in ("kk", "ru", "en")}
    data.update(phone="+7 727 000 00 00", email="ethics@metu.kz", website="metu.kz")
    assert client.post("/office/settings", data=data).status_code == 302
    assert b"+7 727 000 00 00" in client.get("/profile").data
    assert "settings.contacts" in _actions(db)


def test_change_password_needs_the_current_one(client, auth, make):
    person = make.user()
    auth.login(person)
    data = {
        "pw-current": "not it",
        "pw-password": "fresh password 1",
        "pw-confirm": "fresh password 1",
        "pw-submit": "1",
    }
    assert b"not your current password" in client.post("/profile", data=data).data
    data["pw-current"] = "correct horse battery"
    assert client.post("/profile", data=data).status_code == 302
    auth.logout()
    assert auth.login(person, "fresh password 1").status_code == 302


def test_security_headers_and_cookie_flags(client, make):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    person = make.user()
    login = client.post("/login", data={"email": person.email, "password": "correct horse battery"})
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_posts_without_csrf_token_are_refused(app, make):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        person = make.user()
        client = app.test_client()
        response = client.post("/login", data={"email": person.email, "password": "correct horse battery"})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_visitors_default_to_kazakh_unless_their_browser_asks(app, db, monkeypatch):
    from lms.config import load_config

    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", load_config(app.instance_path)["BABEL_DEFAULT_LOCALE"])
    visitor = app.test_client()
    assert b'<html lang="kk">' in visitor.get("/login").data
    assert b'<html lang="ru">' in visitor.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).data


def test_a_website_typed_with_its_scheme_still_links_once(client, auth, make, db):
    auth.login(make.user(roles=[Role.OFFICER]))
    data = {f"{k}_{loc}": f"{k} {loc}" for k in ("university", "officer", "room") for loc in ("kk", "ru", "en")}
    data.update(phone="+7 727 000 00 00", email="ethics@metu.kz", website="https://www.metu.kz/")
    assert client.post("/office/settings", data=data).status_code == 302
    footer = client.get("/profile").get_data(as_text=True)
    assert '<a href="https://www.metu.kz">www.metu.kz</a>' in footer and "https://https://" not in footer


def test_every_page_names_an_icon_that_exists(client):
    """Browsers ask for an icon on every page; a missing one is a 404 in every log."""
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/static/img/favicon.svg"' in page
    icon = client.get("/static/img/favicon.svg")
    icon.close()  # a static file response holds the file open until closed
    assert icon.status_code == 200
