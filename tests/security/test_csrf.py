"""CSRF: every form that posts carries a token, and a post without one is refused.

The one documented exemption is the unsubscribe page: RFC 8058 one-click unsubscribes are POSTs
from mail clients that cannot hold a token; the signed link itself is the proof.
"""

from html.parser import HTMLParser

import pytest

from lms.extensions import limiter
from tests.security.conftest import ROLES
from tests.security.test_access_matrix import MATRIX, OK, PUBLIC, _rule, _url

#: Pages whose forms may post without a CSRF token, and why.
EXEMPT = {"/unsubscribe/<token>": "RFC 8058 one-click unsubscribe; the signed token is the proof"}
#: Who renders the pages: the people who see most of them.
RENDERERS = ("anonymous", "learner", "author", "officer", "admin")


class _Forms(HTMLParser):
    """The posting forms of a page: their action and whether a csrf_token field is inside."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._open = {"action": attrs.get("action"), "token": False}
            self.forms.append(self._open)
        elif (
            tag == "input"
            and self._open is not None
            and (attrs.get("name") or "").endswith("csrf_token")
            and attrs.get("value")
        ):
            self._open["token"] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def _posting_forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def _pages() -> list[tuple[str, str]]:
    """(GET route, role) pairs for every HTML page a renderer may open."""
    pairs = []
    for key, row in MATRIX.items():
        if not key.startswith("GET ") or any(part in key for part in ("static", ".gif", ".pdf", ".csv", ".zip")):
            continue
        expected = dict(zip(ROLES, row, strict=True))
        role = next((r for r in RENDERERS if expected[r] in (OK, PUBLIC)), None)
        if role is not None:
            pairs.append((key, role))
    return pairs


def test_every_posting_form_carries_a_token(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # forms leave the field out otherwise
    checked = 0
    missing = []
    for key, role in _pages():
        rule = _rule(app, key)
        for who in {role, "admin"} if role != "anonymous" else {role}:
            limiter.reset()
            response = world.clients[who].get(_url(app, rule, world.args))
            response.close()  # downloads are streamed
            if response.mimetype != "text/html" or response.status_code != 200:
                continue
            for form in _posting_forms(response.get_data(as_text=True)):
                checked += 1
                if not form["token"] and rule.rule not in EXEMPT:
                    missing.append((key, who, form["action"]))
    assert missing == []
    assert checked > 40  # the walk really saw the office's, authors' and learners' forms


def test_the_unsubscribe_page_is_the_documented_exemption(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    url = _url(app, _rule(app, "GET /unsubscribe/<token>"), world.args)
    forms = _posting_forms(world.clients["anonymous"].get(url).get_data(as_text=True))
    unsubscribe = [form for form in forms if form["action"] != "/language"]
    assert unsubscribe and not any(form["token"] for form in unsubscribe)


def _posts() -> list[tuple[str, str]]:
    """(POST route, a role allowed to post it) for every route but the exemptions."""
    pairs = []
    for key, row in MATRIX.items():
        if not key.startswith("POST ") or key.split(" ", 1)[1] in EXEMPT:
            continue
        expected = dict(zip(ROLES, row, strict=True))
        allowed = next((r for r in reversed(ROLES) if expected[r] in (OK, PUBLIC)), None)
        if allowed is not None:  # the case routes open to none of the seven: tests/concerns/test_csrf.py
            pairs.append((key, allowed))
    return pairs


@pytest.mark.parametrize(("key", "role"), _posts())
def test_a_post_without_a_token_is_refused(app, world, monkeypatch, key, role):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = world.clients[role].post(_url(app, _rule(app, key), world.args), data={"submit": "1"})
    assert response.status_code == 400, response.status_code


def test_one_click_unsubscribe_needs_no_token(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    url = _url(app, _rule(app, "POST /unsubscribe/<token>"), world.args)
    response = world.clients["anonymous"].post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
