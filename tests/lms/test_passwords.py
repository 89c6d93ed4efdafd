"""Password policy (length 12, no common or personal passwords) wherever a password is chosen, and
a reset request that does the same work for known and unknown addresses (issue 12, finding 8)."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from flask import template_rendered
from sqlalchemy import select
from werkzeug.security import check_password_hash

from lms import accounts
from lms.demo import university
from lms.models import AuditEvent, OutboxMessage
from lms.passwords import MIN_LENGTH, password_problems

STRONG = "steppe lantern quietly"


@pytest.mark.parametrize(
    "password",
    [
        "correct1234",  # 11 characters
        "Password1234",
        "qwertyuiop12",
        "iloveyou2024",
        "123456789012",
        "passwordpassword",
        "Qwerty123456",
    ],
)
def test_short_and_common_passwords_are_refused(app, password):
    with app.test_request_context():
        assert password_problems(password)


def test_a_persons_own_name_or_address_is_refused(app):
    personal = ("asem.nurlanova@metu.kz", "Нурланова Асем Серікқызы")
    with app.test_request_context():
        assert password_problems("Nurlanova.Asem", personal)
        assert password_problems("asem.nurlanova@metu.kz", personal)
        assert not password_problems("Nurlanova.Asem")  # the same, for someone else
        assert password_problems(STRONG, personal) == []


def test_the_minimum_is_twelve_and_named_in_the_message(app):
    assert MIN_LENGTH == 12
    with app.test_request_context():
        assert password_problems("x" * 11) == ["Use at least 12 characters."]
        assert password_problems("long enough words 12") == []


def test_messages_are_translatable():
    root = Path(__file__).resolve().parents[2]
    found = {message for _line, message, _c, _ctx in extract_from_file("python", root / "lms/passwords.py")}
    assert {"Use at least %(n)d characters.", "Use at most %(n)d characters."} <= found
    assert any("among the common ones" in m for m in found)


def test_demo_passwords_meet_the_policy(app):
    """They are printed for newcomers and name the role, but are neither short nor common."""
    passwords = [a.password for a in university.OFFICE_ACCOUNTS] + [
        university.HEAD_PASSWORD,
        university.LEARNER_PASSWORD,
    ]
    with app.test_request_context():
        for password in passwords:
            assert password_problems(password) == [], password


# --- Everywhere a password is chosen -----------------------------------------------------------


def _refused(response, person, db, word: bytes) -> None:
    assert response.status_code == 200
    assert word in response.data
    db.session.expire_all()
    assert check_password_hash(db.session.get(type(person), person.id).password_hash or "", "correct horse battery")


def test_reset_link_refuses_a_weak_password(app, client, make, db):
    person = make.user()
    with app.test_request_context():
        link = accounts.password_link(person).removeprefix("http://adal.test")
    _refused(client.post(link, data={"password": "Qwerty123456", "confirm": "Qwerty123456"}), person, db, b"common")
    _refused(client.post(link, data={"password": "short1", "confirm": "short1"}), person, db, b"at least 12")
    assert client.post(link, data={"password": STRONG, "confirm": STRONG}).status_code == 302


def test_invitation_refuses_a_weak_password_and_ones_own_name(app, client, make, db):
    person = make.user(password=False, full_name="Petrov Ivan", email="ivan.petrov@example.kz")
    with app.test_request_context():
        link = accounts.password_link(person, "lms.accept_invitation").removeprefix("http://adal.test")
    page = client.get(link)
    assert b"At least 12 characters" in page.data
    for weak in ("iloveyou2024", "Ivan.Petrov.2024"):
        response = client.post(link, data={"password": weak, "confirm": weak})
        assert response.status_code == 200 and b"common" in response.data
    assert db.session.get(type(person), person.id).password_hash is None
    assert client.post(link, data={"password": STRONG, "confirm": STRONG}).status_code == 302


def test_profile_refuses_a_weak_password_and_ones_own_name(client, auth, make, db):
    person = make.user(full_name="Nurlanova Asem", email="asem.nurlanova@example.kz")
    auth.login(person)
    for weak in ("Password1234", "Nurlanova.Asem.1"):
        data = {"pw-current": "correct horse battery", "pw-password": weak, "pw-confirm": weak, "pw-submit": "1"}
        _refused(client.post("/profile", data=data), person, db, b"common")
    data = {"pw-current": "correct horse battery", "pw-password": STRONG, "pw-confirm": STRONG, "pw-submit": "1"}
    assert client.post("/profile", data=data).status_code == 302


# --- Finding 8: a reset request costs the same for a known and an unknown address ----------------


def _reset_request(app, client, count_queries, email: str):
    """What asking for a reset link did: the templates rendered (with their link) and the SQL run."""
    rendered = []

    def record(_app, template, context, **_extra):
        rendered.append((template.name, re.sub(r"/reset/\S+", "/reset/TOKEN", str(context.get("link", "")))))

    with template_rendered.connected_to(record, app), count_queries() as statements:
        response = client.post("/password/forgot", data={"email": email})
    assert response.status_code == 302
    return rendered, [" ".join(s.split()[:3]) for s in statements]


@pytest.mark.parametrize("stranger", ["nobody@example.kz", "inactive"])
def test_unknown_and_known_addresses_do_the_same_work(app, client, make, db, count_queries, stranger):
    known = make.user(locale="en")
    if stranger == "inactive":
        stranger = make.user(locale="en", active=False).email

    known_templates, known_sql = _reset_request(app, client, count_queries, known.email)
    stranger_templates, stranger_sql = _reset_request(app, client, count_queries, stranger)

    # The same e-mail is rendered, with a signed reset link, for both …
    assert known_templates == stranger_templates
    assert ("emails/reset_password.html", "http://adal.test/password/reset/TOKEN") in stranger_templates
    # … the same queries read, both write an audit event and commit; only the e-mail is kept.
    assert [s for s in known_sql if not s.startswith("INSERT INTO outbox_message")] == stranger_sql
    assert stranger_sql.count("INSERT INTO audit_event") == 1
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert [m.to_addr for m in messages] == [known.email]
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.details.get("email")) for e in events] == [
        ("auth.reset_requested", None),
        ("auth.reset_unknown", stranger),
    ]
