"""Why a campaign's mail has not gone yet: quiet hours, a holiday or the weekly cap hold it in the queue.

Without these sentences "Schedule" at night looks broken: the messages sit as "queued" until morning
and nothing says so. The reason is read from the planned time itself (``pacing`` put it there), so the
page tells the truth whenever it is opened.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns import pacing
from campaigns.models import Campaign, CampaignStep
from lms.database import as_utc
from lms.i18n import local_datetime
from lms.models import OutboxMessage, OutboxStatus

#: When a holiday ends and no quiet hours are set, ``pacing`` sends from this time.
HOLIDAY_END = time(9)


def waiting_notice(session: Session, campaign: Campaign, now: datetime) -> str | None:
    """ "77 messages are queued: they go from 08:00, 2 December, when the quiet hours (21:00–08:00) end."""
    count, earliest = session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.campaign_step_id.in_(select(CampaignStep.id).where(CampaignStep.campaign_id == campaign.id)),
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.attempts == 0,  # a retry after a failure waits for its own reason
            OutboxMessage.next_attempt_at > now,
        )
    ).one()
    if not count:
        return None
    return _sentence(count, as_utc(earliest))


def schedule_notice(campaign: Campaign, audience_size: int, now: datetime) -> str | None:
    """Said after "Schedule" when a step is due at once but quiet hours or a holiday hold its mail."""
    if not audience_size or not any(step.next_run_at and step.next_run_at <= now for step in campaign.steps):
        return None
    tz, quiet, holidays = _pacing()
    start = pacing.next_sending_time(now, tz, quiet, holidays)
    return _sentence(audience_size, start) if start > now else None


def _pacing() -> tuple[ZoneInfo, tuple[time, time] | None, frozenset]:
    config = current_app.config
    return (
        ZoneInfo(config["ADAL_TIMEZONE"]),
        pacing.parse_quiet_hours(config["ADAL_QUIET_HOURS"]),
        pacing.parse_holidays(config["ADAL_HOLIDAYS"]),
    )


def _sentence(count: int, when: datetime) -> str:
    tz, quiet, holidays = _pacing()
    local = when.astimezone(tz)
    at = local_datetime(when, "long")
    if local.date() - timedelta(days=1) in holidays and local.time() == (quiet[1] if quiet else HOLIDAY_END):
        return ngettext(
            "%(num)d message is queued: it goes at %(time)s, as nothing is sent on holidays.",
            "%(num)d messages are queued: they go from %(time)s, as nothing is sent on holidays.",
            count,
            time=at,
        )
    if quiet and local.time() == quiet[1]:
        return ngettext(
            "%(num)d message is queued: it goes at %(time)s, when the quiet hours (%(hours)s) end.",
            "%(num)d messages are queued: they go from %(time)s, when the quiet hours (%(hours)s) end.",
            count,
            time=at,
            hours=f"{quiet[0]:%H:%M}–{quiet[1]:%H:%M}",
        )
    return ngettext(
        "%(num)d message is queued: it goes at %(time)s, so that no one gets more than %(cap)d optional "
        "messages a week.",
        "%(num)d messages are queued: they go from %(time)s, so that no one gets more than %(cap)d optional "
        "messages a week.",
        count,
        time=at,
        cap=current_app.config["ADAL_WEEKLY_CAP"],
    )
