"""Demo campaigns: what the office would have running on day one."""

from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.library import campaign_from_template
from campaigns.lifecycle import schedule_campaign
from campaigns.models import Campaign
from lms.config import DEFAULT_LOCALE
from lms.database import utcnow

#: (template, course it is about, scheduled at once)
DEMO_CAMPAIGNS = [
    ("training-due-soon", "code-of-ethics", True),
    ("welcome-new-people", None, True),
    ("international-anti-corruption-day", None, False),
]


def seed_demo_campaigns(session: Session) -> None:
    """Reminders about the code of ethics and the welcome series running; Anti-Corruption Day as a draft."""
    if session.scalar(select(Campaign.id).limit(1)) is not None:
        return
    tz = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    now = utcnow()
    for key, course_slug, running in DEMO_CAMPAIGNS:
        campaign = campaign_from_template(session, key, tz, now, None, DEFAULT_LOCALE)
        campaign.course_slug = course_slug
        session.flush()
        if running:
            schedule_campaign(session, campaign, now)
