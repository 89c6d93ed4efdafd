"""Redirects built from user input stay on this site; sign-in, reset requests and /verify are rate-limited."""

from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from campaigns import tracking
from lms import accounts
from lms.models import OutboxMessage
from tests import factories

#: Each of these must not lead a browser away from http://localhost/.
HOSTILE_TARGETS = [
    "https://evil.example/phish",
    "//evil.example/phish",
    "///evil.example/phish",
    "////evil.example/phish",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "https:evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " //evil.example",
    "\x00//evil.example",
]
SAFE_TARGETS = ["/profile", "/learning?x=1", "/%2F%2Fevil.example"]


def _lands_here(location: str) -> bool:
    """Where a browser on http://localhost/ would go, resolved as browsers do (any number of slashes)."""
    if location.lstrip().startswith(("//", "\\\\", "/\\")) or location.startswith("///"):
        return False
    resolved = urlsplit(urljoin("http://localhost/", location))
    return resolved.scheme == "http" and resolved.netloc == "localhost"


@pytest.mark.parametrize("target", HOSTILE_TARGETS + SAFE_TARGETS)
def test_login_next_stays_on_site(client, make, target):
    person = make.user()
    response = client.post(
        "/login", query_string={"next": target}, data={"email": person.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert _lands_here(response.headers["Location"]), response.headers["Location"]
    if target in SAFE_TARGETS:
        assert response.headers["Location"] == target


@pytest.mark.parametrize("target", HOSTILE_TARGETS + SAFE_TARGETS)
def test_language_switcher_next_stays_on_site(client, target):
    response = client.post("/language", data={"locale": "ru", "next": target})
    assert response.status_code == 302
    assert _lands_here(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("code", ["//evil.example", "https://evil.example", "///evil.example", "\\\\evil.example"])
def test_verify_form_redirect_stays_on_site(client, code):
    response = client.get("/verify", query_string={"code": code})
    assert response.status_code == 302
    assert _lands_here(response.headers["Location"]), response.headers["Location"]


def test_click_tracker_goes_only_where_it_was_signed_to(app, client):
    token = tracking.message_token("<m@adal.test>")
    signed = tracking.click_url(token, "https://integrity.example/page").rsplit("/", 1)[1]
    assert client.get(f"/t/c/{token}/{signed}").headers["Location"] == "https://integrity.example/page"
    forged = tracking._Signer("url", "another secret").dumps("https://evil.example/")
    assert client.get(f"/t/c/{token}/{forged}").status_code == 404
    tampered = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    assert client.get(f"/t/c/{token}/{tampered}").status_code == 404
    # A message token is not a URL token: the purposes have different keys.
    assert client.get(f"/t/c/{token}/{token}").status_code == 404


# --- Rate limits -----------------------------------------------------------------------------------


def _limit(app, key: str) -> int:
    return int(app.config[key].split()[0])


def test_login_is_limited_per_address_too(app, client, make):
    """Guessing one person's password from many machines still meets a limit."""
    person = make.user()
    limit = _limit(app, "ADAL_LOGIN_LIMIT")
    for n in range(limit):
        machine = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        response = client.post("/login", data={"email": person.email, "password": "wrong"}, environ_base=machine)
        assert response.status_code == 200
    blocked = client.post(
        "/login", data={"email": person.email.upper(), "password": "wrong"}, environ_base={"REMOTE_ADDR": "10.0.1.1"}
    )
    assert blocked.status_code == 429
    other = make.user()
    fine = client.post(
        "/login", data={"email": other.email, "password": factories.PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.1.2"}
    )
    assert fine.status_code == 302


def test_password_reset_requests_are_limited_per_machine(client, make, db):
    people = [make.user() for _ in range(6)]
    answers = [client.post("/password/forgot", data={"email": p.email}).status_code for p in people]
    assert answers == [302] * 5 + [429]


def test_password_reset_requests_are_limited_per_address(app, client, make, db):
    """One inbox cannot be flooded with reset links from many machines."""
    person = make.user()
    answers = [
        client.post(
            "/password/forgot", data={"email": person.email}, environ_base={"REMOTE_ADDR": f"10.0.2.{n + 1}"}
        ).status_code
        for n in range(5)
    ]
    assert answers[0] == 302 and answers[-1] == 429
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == person.id)).all()
    assert 1 <= len(sent) < 5


def test_verify_is_limited(app, client):
    limit = _limit(app, "ADAL_VERIFY_LIMIT")
    for n in range(limit):
        url = "/verify" if n % 2 else f"/verify/UNKNOWN-{n}"
        assert client.get(url).status_code in (200, 404)
    assert client.get("/verify/UNKNOWN-last").status_code == 429
    assert client.get("/verify").status_code == 429


def _static_response(app_config: dict, headers: dict):
    from lms import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", **app_config})
    with app.test_client() as client:
        response = client.get("/static/css/adal.css", headers=headers)
        response.close()
        return response


def test_forwarded_headers_are_believed_only_behind_a_configured_proxy(tmp_path):
    """Behind nginx the client's scheme and address come from it; without one, forged headers change nothing."""
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    storage = {"ADAL_STORAGE_PATH": str(tmp_path)}
    assert "Strict-Transport-Security" not in _static_response(storage, forwarded).headers
    assert "Strict-Transport-Security" in _static_response({**storage, "ADAL_PROXY_HOPS": 1}, forwarded).headers


def test_a_reset_link_is_not_an_invitation(app, client, make, db):
    """A reset link lives hours; replayed on the invitation page (weeks) it must not work."""
    person = make.user()
    with app.test_request_context():
        reset = accounts.make_password_token(person, "reset")
        invitation = accounts.make_password_token(person, "invitation")
    assert client.get(f"/invitation/{reset}").status_code == 400
    assert client.get(f"/password/reset/{invitation}").status_code == 400
    assert client.get(f"/password/reset/{reset}").status_code == 200
    assert client.get(f"/invitation/{invitation}").status_code == 200


def test_a_new_password_signs_out_every_other_browser(app, client, auth, make, db):
    person = make.user()
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": person.email, "password": factories.PASSWORD})
    assert elsewhere.get("/profile").status_code == 200
    auth.login(person)
    changed = client.post(
        "/profile",
        data={
            "pw-current": factories.PASSWORD,
            "pw-password": "a new long passphrase",
            "pw-confirm": "a new long passphrase",
            "pw-submit": "1",
        },
    )
    assert changed.status_code == 302
    assert client.get("/profile").status_code == 200  # the browser that changed it stays signed in
    assert elsewhere.get("/profile").status_code == 302  # the other one is signed out


def test_guessing_the_current_password_on_the_profile_is_limited(app, client, auth, make):
    """A stolen session cannot try passwords on the profile form faster than on the sign-in form."""
    person = make.user()
    auth.login(person)
    wrong = {"pw-current": "guess", "pw-password": "a new long passphrase", "pw-confirm": "a new long passphrase"}
    wrong["pw-submit"] = "1"
    answers = [client.post("/profile", data=wrong).status_code for _ in range(_limit(app, "ADAL_LOGIN_LIMIT") + 1)]
    assert answers[:-1] == [200] * (len(answers) - 1)
    assert answers[-1] == 429
