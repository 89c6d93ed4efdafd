"""Steps of the event journeys, shared by the registration and the check-in browser tests."""

from sqlalchemy import select

from lms.mail.delivery import DeliverySettings, deliver_outbox
from lms.models import OutboxMessage
from tests.browser.helpers import login

PHONE = {"width": 390, "height": 844}


def register_on_phone(page, email: str, event) -> str:
    """Sign in on a phone-sized page, open the event from the events page, register; returns the ticket code."""
    page.set_viewport_size(PHONE)
    login(page, email)
    page.goto("/events/")
    with page.expect_navigation():
        page.locator(f"#event-{event.id} a").first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Register").first.click()
    assert page.locator("[data-ticket] svg").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return page.locator("[data-ticket-code]").first.inner_text().strip()


def deliver_mail(session) -> int:
    """The delivery process's run: the outbox drains into the local mailbox (no SMTP configured)."""
    return deliver_outbox(session, DeliverySettings()).sent


def ticket_email(session, email: str) -> OutboxMessage:
    """The newest ticket e-mail sent to ``email``."""
    session.expire_all()
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_addr == email, OutboxMessage.subject.startswith("Your ticket"))
        .order_by(OutboxMessage.id.desc())
    ).first()


def open_in_mailbox(page, email: str, subject: str) -> str:
    """As a signed-in officer, find the e-mail in the Mailbox page and return its text as shown."""
    page.goto("/office/mailbox/?q=" + email)
    with page.expect_navigation():
        page.get_by_role("link", name=subject).first.click()
    return page.locator("pre").first.inner_text()
