"""An officer starts a campaign from a template, previews it, schedules it a minute ahead, and sees it
sent in the mailbox page."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from campaigns.due_steps import run_due_steps
from lms.mail.delivery import DeliverySettings, deliver_outbox
from lms.models import OutboxMessage, OutboxStatus, Role
from tests.browser.helpers import login

pytestmark = pytest.mark.browser


def test_officer_schedules_a_campaign_and_sees_it_sent(page, make, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "ADAL_QUIET_HOURS", "")  # the test may run at night in Almaty
    officer = make.user(roles=[Role.OFFICER], locale="en", full_name="Aigerim Saparova")
    learners = [make.user(locale=loc) for loc in ("kk", "ru")]
    login(page, officer.email)

    page.goto("/office/campaigns/templates")
    with page.expect_navigation():
        page.click("[data-template=international-anti-corruption-day] button[type=submit]")
    assert page.locator("#campaign-status").get_attribute("data-status") == "draft"

    with page.expect_navigation():
        page.click("#preview")
    subject = page.locator("#preview-subject").inner_text()
    assert subject.strip()
    page.go_back()

    send_at = (datetime.now(UTC) + timedelta(minutes=1)).astimezone(ZoneInfo("Asia/Almaty"))
    with page.expect_navigation():
        page.get_by_role("link", name="Edit").last.click()
    page.select_option("select[name=timing]", "at")
    page.fill("input[name=send_at]", send_at.strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.click("form #submit")
    with page.expect_navigation():
        page.click("#action-schedule")
    assert page.locator("#campaign-status").get_attribute("data-status") == "running"

    # The scheduler process, a minute later: the step fires, then the outbox drains to the local mailbox.
    with time_machine.travel(send_at + timedelta(minutes=1), tick=False):
        assert run_due_steps(db.session) == 3
        assert deliver_outbox(db.session, DeliverySettings()).sent == 3
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)).all()
    assert {m.user_id for m in sent} == {officer.id, *(p.id for p in learners)}

    page.goto("/office/mailbox/?q=" + learners[1].email)
    row = page.locator("tbody tr").first
    assert learners[1].email in row.inner_text()
    kk_subject = next(m.subject for m in sent if m.user_id == learners[0].id)
    page.goto("/office/mailbox/")
    assert page.get_by_text(kk_subject).count() == 1
