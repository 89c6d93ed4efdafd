"""Choosing one's first password from an invitation signs one in and opens one's landing page (issue 15)."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from lms import accounts
from lms.models import AuditEvent, Role, TwoFactor

STRONG = "a brand new password for Adal"


def _link(app, person, endpoint="lms.accept_invitation") -> str:
    with app.test_request_context():
        return accounts.password_link(person, endpoint).removeprefix("http://adal.test")


def _choose(client, link) -> str:
    response = client.post(link, data={"password": STRONG, "confirm": STRONG})
    assert response.status_code == 302
    return urlsplit(response.headers["Location"]).path


def _landing(client, path: str) -> str:
    """Follow the redirects from ``path`` to the page that answers."""
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200
    return response.request.path


def _actions(db, person) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.target_id == str(person.id)).order_by(AuditEvent.id)
    return list(db.session.scalars(query))


def test_a_learner_who_accepts_the_invitation_is_signed_in_on_their_learning_page(app, client, make, db):
    person = make.user(password=False)
    assert _landing(client, _choose(client, _link(app, person))) == "/learning"
    assert client.get("/profile").status_code == 200
    assert _actions(db, person) == ["auth.invitation_accepted", "auth.login"]


def test_an_officer_is_sent_through_the_second_factor_setup_when_it_is_required(app, client, make, db, monkeypatch):
    monkeypatch.setitem(app.config, "ADAL_TWO_FACTOR_REQUIRED", True)
    person = make.user(password=False, roles=[Role.OFFICER])
    assert _landing(client, _choose(client, _link(app, person))) == "/profile/two-factor"


def test_a_person_who_has_a_second_factor_is_asked_for_its_code_first(app, client, make, db):
    person = make.user(password=False)
    db.session.add(TwoFactor(user_id=person.id, secret="x", confirmed_at=datetime.now(UTC)))
    db.session.commit()
    assert _choose(client, _link(app, person)) == "/login/code"
    assert client.get("/profile").status_code == 302  # not signed in until the code is right
    assert _actions(db, person) == ["auth.invitation_accepted"]


def test_a_password_reset_still_asks_to_sign_in(app, client, make, db):
    person = make.user()
    assert _choose(client, _link(app, person, "lms.reset_password")) == "/login"
    assert client.get("/profile").status_code == 302


@pytest.fixture(autouse=True)
def _english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
