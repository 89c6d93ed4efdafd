"""Buttons that cannot be undone ask first: dismissing the question sends nothing."""

import pytest

from campaigns.models import Campaign, CampaignStatus
from courses.models import Course, CourseStatus
from courses.packs.importing import import_pack
from courses.packs.validating import load_pack
from lms.models import Role
from tests.browser.helpers import login
from tests.browser.test_authoring import SAMPLE
from tests.campaigns.helpers import make_campaign

pytestmark = pytest.mark.browser


def _say_no_then_yes(page, db, button, row, unchanged) -> list[str]:
    """Click and dismiss the question (the row keeps its status), then click and accept it."""
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    button.click()
    page.wait_for_timeout(300)
    db.session.refresh(row)
    assert row.status == unchanged
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    with page.expect_navigation():
        button.click()
    db.session.refresh(row)
    return asked


def test_cancelling_a_campaign_asks_first(page, make, db):
    officer = make.user(roles=[Role.OFFICER], locale="en")
    campaign = make_campaign(db.session)
    login(page, officer.email)
    page.goto(f"/office/campaigns/{campaign.id}")
    asked = _say_no_then_yes(page, db, page.locator("#action-cancel"), campaign, CampaignStatus.DRAFT)
    assert "cannot be resumed" in asked[0]
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.CANCELLED


def test_archiving_a_course_version_asks_first(page, make, db):
    author = make.user(roles=[Role.AUTHOR], locale="en")
    course = import_pack(db.session, load_pack(SAMPLE))
    db.session.commit()
    login(page, author.email)
    page.goto(f"/author/courses/{course.id}")
    button = page.locator("form[action$='/archive'] button")
    asked = _say_no_then_yes(page, db, button, course, course.status)
    assert "cannot be undone" in asked[0]
    assert db.session.get(Course, course.id).status == CourseStatus.ARCHIVED
