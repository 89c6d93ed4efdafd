"""The step editor in a real browser: choosing a timing shows only its fields; the server says it in words."""

import pytest

from lms.models import Role
from tests.browser.helpers import login
from tests.campaigns.helpers import make_campaign

pytestmark = pytest.mark.browser


def test_choosing_a_timing_shows_its_fields_and_the_summary_follows(page, make, db):
    officer = make.user(roles=[Role.OFFICER], locale="en")
    campaign = make_campaign(db.session)
    login(page, officer.email)
    page.goto(f"/office/campaigns/{campaign.id}/steps/{campaign.steps[0].id}")
    for name in ("send_at", "cron", "delay_days", "offset_days", "repeat_days"):
        assert not page.locator(f"[name={name}]").is_visible(), name
    assert page.locator("#timing-summary").inner_text() == "as soon as the campaign is scheduled"

    page.select_option("select[name=timing]", "cron")
    assert page.locator("[name=cron]").is_visible()
    assert not page.locator("[name=send_at]").is_visible()
    assert "Update the summary" in page.locator("#timing-summary").inner_text()  # stale until asked

    page.fill("input[name=cron]", "0 10 * * 1#1")
    with page.expect_navigation():
        page.get_by_role("button", name="Update the summary").click()
    assert page.locator("#timing-summary").inner_text().startswith("every first Monday of the month at 10:00, next: ")
    assert page.locator("[name=cron]").input_value() == "0 10 * * 1#1"

    page.select_option("select[name=timing]", "relative_to_due")
    assert page.locator("[name=offset_days]").is_visible() and page.locator("[name=repeat_days]").is_visible()
    assert not page.locator("[name=cron]").is_visible()
