"""CSRF on the case handlers' pages, which the shared walk (tests/security/test_csrf.py) cannot open:
every form a handler or custodian sees carries a token, and a post without one is refused."""

import pytest
from sqlalchemy import select

from concerns.models import IdentityRequest
from lms.models import Role
from tests.concerns.helpers import report_directly
from tests.security.test_csrf import _posting_forms


@pytest.fixture
def office(app, client, auth, make, monkeypatch, db):
    """A handler who is also custodian, signed in, a named case with a waiting request, CSRF on."""
    receipt = report_directly(name="Named Reporter")
    asker = make.user(roles=[Role.CASE_HANDLER])
    auth.login(asker)
    client.post(f"/cases/{receipt.number}/identity", data={"reason": "needed"})
    auth.logout()
    auth.login(make.user(roles=[Role.CASE_HANDLER, Role.CUSTODIAN]))
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return receipt.number, db.session.scalar(select(IdentityRequest.id))


def test_every_form_of_the_case_pages_carries_a_token(client, office):
    number, _request_id = office
    forms = []
    for url in ("/cases/", f"/cases/{number}", "/cases/custody", "/cases/handlers"):
        page = client.get(url)
        assert page.status_code == 200, url
        forms += [form for form in _posting_forms(page.get_data(as_text=True)) if form["action"] != "/logout"]
    assert len(forms) >= 8 and all(form["token"] for form in forms), forms


def test_a_case_post_without_a_token_is_refused(client, office):
    number, request_id = office
    for url in (
        f"/cases/{number}/status",
        f"/cases/{number}/unit",
        f"/cases/{number}/messages",
        f"/cases/{number}/notes",
        f"/cases/{number}/identity",
        f"/cases/custody/{request_id}",
        "/cases/handlers",
    ):
        assert client.post(url, data={"submit": "1"}).status_code == 400, url
