"""Campaign e-mails attacked through their links: a name that becomes a link, a click part moved
to another message (issue 12, findings 7 and 9)."""

import email
import email.policy
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from campaigns import tracking
from campaigns.due_steps import run_due_steps
from campaigns.rendering import compile_message
from lms.mail.delivery import build_message
from lms.models import OutboxMessage
from tests.campaigns.helpers import make_campaign

HOSTILE_NAMES = [
    "javascript:alert(document.domain)//",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
]
_JAVASCRIPT_HREF = re.compile(r"""(href|src)\s*=\s*["']?\s*(java\s*script|data|vbscript):""", re.I)


def _send_step(db, body: str, **campaign_fields) -> list[OutboxMessage]:
    """Run a one-step campaign whose body (every language) is ``body``; its outbox rows."""
    campaign = make_campaign(db.session, **campaign_fields)
    step = campaign.steps[0]
    step.body = dict.fromkeys(("kk", "ru", "en"), body)
    campaign.schedule()
    step.next_run_at = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.commit()
    run_due_steps(db.session, datetime(2026, 12, 1, 5, tzinfo=UTC))
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.campaign_step_id == step.id)).all()


# --- Finding 7: a name that becomes a javascript: link ---------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_name_put_into_a_link_never_becomes_a_script_link(make, db, name):
    make.user(full_name=name)
    (message,) = _send_step(db, "[click]({name}) and [again](x{name}) and ![img]({name} 'by {name}')")
    envelope = build_message(
        mail_from="Adal <adal@example.kz>",
        to_addr=message.to_addr,
        to_name=name,
        subject=message.subject,
        body_text=message.body_text,
        body_html=message.body_html,
        message_id=message.message_id,
    )
    sent = email.message_from_bytes(envelope.data, policy=email.policy.default)
    sent_html = sent.get_body(("html",)).get_content()
    for html in (message.body_html, sent_html):
        assert not _JAVASCRIPT_HREF.search(html), html
        assert ">click</a>" in html  # the link text stays; only the address is dropped


def test_a_web_address_put_into_a_link_is_kept_and_tracked(make, db):
    make.user(full_name="Person")
    (message,) = _send_step(db, "[Open the course]({link}) or [me]({name})")
    assert re.search(r'href="http://adal\.test/t/c/[^"]+"[^>]*>Open the course</a>', message.body_html)


def test_values_in_a_title_are_escaped_and_addresses_at_the_end_of_a_link_are_kept():
    compiled = compile_message("s", '[x](https://metu.kz/a?n={name} "{name}") [y](https://metu.kz/{link})', "", "")
    assert compiled.in_attributes == {"name", "link"}
    _s, _t, html = compiled.fill({"name": '"><script>alert(1)</script>', "link": "https://adal.test/learning"})
    assert "<script>" not in html
    assert 'href="https://metu.kz/https://adal.test/learning"' in html


@pytest.mark.parametrize("value", ["", "https://adal.test/learning"])
def test_a_value_kept_as_it_is_cannot_complete_a_script_address(value):
    body = "[x](java{link}script:alert(1)) [y]({link}javascript:alert(1)) [z](javascript:{link})"
    _s, _t, html = compile_message("s", body, "", "").fill({"link": value})
    assert not _JAVASCRIPT_HREF.search(html), html


def test_placeholders_only_in_text_cost_no_second_sanitizing():
    """Names in the text are escaped like any text: 20,000 recipients stay 20,000 replacements."""
    assert compile_message("s", "Dear **{name}**, [the course]({link}).", "", "").in_attributes == {"link"}
    assert compile_message("s", 'Dear {name}, a="b" then {name}', "", "").in_attributes == frozenset()


# --- Finding 9: a click part of one message paired with another's --------------------------------


def _clicks(message: OutboxMessage) -> list[str]:
    return re.findall(r'href="http://adal\.test(/t/c/[^"]+)"', message.body_html)


def test_a_click_part_of_one_message_with_another_messages_code_is_refused(client, make, db):
    make.user(full_name="Alice")
    make.user(full_name="Bob")
    alice_message, bob_message = _send_step(db, "Read [this](https://metu.kz/ethics).", track_opens=False)
    (alice_click,) = _clicks(alice_message)
    (bob_click,) = _clicks(bob_message)
    _alice_part, alice_url_part = alice_click.rsplit("/", 1)
    bob_part, _bob_url_part = bob_click.rsplit("/", 1)

    assert client.get(f"{bob_part}/{alice_url_part}").status_code == 404
    db.session.expire_all()
    assert db.session.get(OutboxMessage, bob_message.id).clicked_at is None
    assert db.session.get(OutboxMessage, bob_message.id).opened_at is None

    assert client.get(alice_click).headers["Location"] == "https://metu.kz/ethics"
    db.session.expire_all()
    assert db.session.get(OutboxMessage, alice_message.id).clicked_at is not None
    assert db.session.get(OutboxMessage, bob_message.id).clicked_at is None


def _legacy_click_url(token: str, target: str) -> str:
    """A click link as written before clicks were bound to their message: the URL part signed alone."""
    return f"/t/c/{token}/{tracking._Signer('url').dumps(target)}"


def test_links_sent_before_binding_still_work_but_only_with_their_own_message(app, client, make, db):
    make.user(full_name="Alice")
    make.user(full_name="Bob")
    alice_message, bob_message = _send_step(db, "Read [this](https://metu.kz/ethics).", track_opens=False)
    with app.test_request_context():
        alice_code = tracking.message_token(alice_message.message_id)
        bob_code = tracking.message_token(bob_message.message_id)
        old_alice = _legacy_click_url(alice_code, "https://metu.kz/ethics")
        old_bob = _legacy_click_url(bob_code, "https://metu.kz/ethics")
    # Alice's message as it was stored before the change carried the old link.
    alice_message.body_html = f'<a href="http://adal.test{old_alice}">this</a>'
    db.session.commit()

    assert client.get(old_alice).headers["Location"] == "https://metu.kz/ethics"
    # Bob's code with Alice's old URL part (and an old link Bob never received) log nothing.
    assert client.get(f"/t/c/{bob_code}/{old_alice.rsplit('/', 1)[1]}").status_code == 404
    assert client.get(old_bob).status_code == 404
    db.session.expire_all()
    assert db.session.get(OutboxMessage, alice_message.id).clicked_at is not None
    assert db.session.get(OutboxMessage, bob_message.id).clicked_at is None
