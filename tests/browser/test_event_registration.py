"""A learner registers for a seminar on a phone and gets the ticket e-mail; the office reads it in the mailbox."""

import pytest

from lms.models import OutboxStatus, Role
from tests.browser.event_steps import deliver_mail, open_in_mailbox, register_on_phone, ticket_email
from tests.browser.helpers import login
from tests.events.helpers import make_event

pytestmark = pytest.mark.browser


def test_a_learner_registers_on_a_phone_and_gets_the_ticket_by_email(page, browser, live_server, make, db):
    learner = make.user(locale="en", full_name="Aruzhan Tulegenova")
    officer = make.user(roles=[Role.OFFICER], locale="en")
    event = make_event(db.session, capacity=20)

    code = register_on_phone(page, learner.email, event)
    assert len(code.replace("-", "")) == 8

    assert deliver_mail(db.session) >= 1
    message = ticket_email(db.session, learner.email)
    assert message.status == OutboxStatus.SENT
    assert code in message.body_text and message.attachments[0]["filename"] == "invite.ics"

    office = browser.new_context(base_url=live_server, locale="en-US")
    tab = office.new_page()
    login(tab, officer.email)
    shown = open_in_mailbox(tab, learner.email, message.subject)
    assert code in shown and "Integrity seminar" in shown
    office.close()
