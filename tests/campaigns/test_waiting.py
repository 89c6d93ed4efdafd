"""Mail held by quiet hours or a holiday: the campaign page and "Schedule" say how many, until when and why."""

import html
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask_babel import force_locale
from sqlalchemy import func, select

from campaigns import lifecycle
from campaigns.due_steps import run_due_steps
from campaigns.models import Category
from campaigns.waiting import schedule_notice
from lms.models import OutboxMessage, OutboxStatus, PersonKind, Role
from tests.campaigns.helpers import make_campaign

ALMATY = ZoneInfo("Asia/Almaty")
STAFF = {"kind": "staff"}


#: Tuesday December 1, 2026, 23:30 in Almaty: quiet hours (21:00–08:00) until Wednesday morning.
NIGHT = datetime(2026, 12, 1, 23, 30, tzinfo=ALMATY)


@pytest.fixture
def officer(make):
    """Signed in inside each test's time travel: a sign-in from the real now would have expired by then."""
    return make.user(roles=[Role.OFFICER], locale="en")


def _staff(make, count: int) -> None:
    for _n in range(count):
        make.user(kind=PersonKind.STAFF)


def test_the_campaign_page_says_the_queued_mail_waits_for_the_end_of_quiet_hours(client, auth, officer, make, db):
    _staff(make, 77)
    campaign = make_campaign(db.session, audience=STAFF, category=Category.ANNOUNCEMENT)
    with time_machine.travel(NIGHT, tick=False):
        lifecycle.schedule_campaign(db.session, campaign)
        db.session.commit()
        run_due_steps(db.session)
        queued = db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status == OutboxStatus.QUEUED)
        )
        assert queued == 77
        auth.login(officer)
        page = html.unescape(client.get(f"/office/campaigns/{campaign.id}").get_data(as_text=True))
    assert (
        "77 messages are queued: they go from December 2, 2026, 08:00, when the quiet hours (21:00–08:00) end." in page
    )
    with time_machine.travel(datetime(2026, 12, 2, 8, 1, tzinfo=ALMATY), tick=False):
        auth.login(officer)
        page = client.get(f"/office/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'id="queue-notice"' not in page  # the morning has come: nothing is held any more


def test_schedule_at_night_says_how_many_wait_and_until_when(client, auth, officer, make, db):
    _staff(make, 3)
    campaign = make_campaign(db.session, audience=STAFF)
    with time_machine.travel(NIGHT, tick=False):
        auth.login(officer)
        response = client.post(f"/office/campaigns/{campaign.id}/schedule", follow_redirects=True)
    page = html.unescape(response.get_data(as_text=True))
    assert "The campaign is scheduled." in page
    assert (
        "3 messages are queued: they go from December 2, 2026, 08:00, when the quiet hours (21:00–08:00) end." in page
    )


def test_schedule_by_day_says_nothing_more_and_at_night_names_the_morning(app, make, db):
    _staff(make, 3)
    campaign = make_campaign(db.session, audience=STAFF)
    noon = datetime(2026, 12, 2, 12, 0, tzinfo=ALMATY).astimezone(UTC)
    lifecycle.schedule_campaign(db.session, campaign, now=noon)
    with app.test_request_context(), force_locale("en"):
        assert schedule_notice(campaign, 3, noon) is None
        later_that_night = noon + timedelta(hours=11, minutes=30)  # 23:30: the step is due, the night holds it
        assert schedule_notice(campaign, 3, later_that_night) == (
            "3 messages are queued: they go from December 3, 2026, 08:00, when the quiet hours (21:00–08:00) end."
        )
        assert schedule_notice(campaign, 0, later_that_night) is None  # no one to write to


def test_a_holiday_is_named_as_the_reason(app, make, db, monkeypatch):
    _staff(make, 2)
    campaign = make_campaign(db.session, audience=STAFF, category=Category.ANNOUNCEMENT)
    monkeypatch.setitem(app.config, "ADAL_HOLIDAYS", "2026-12-16")
    holiday_noon = datetime(2026, 12, 16, 12, 0, tzinfo=ALMATY).astimezone(UTC)
    lifecycle.schedule_campaign(db.session, campaign, now=holiday_noon)
    with app.test_request_context(), force_locale("en"):
        assert schedule_notice(campaign, 2, holiday_noon) == (
            "2 messages are queued: they go from December 17, 2026, 08:00, as nothing is sent on holidays."
        )
