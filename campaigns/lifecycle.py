"""The office's control of a campaign: schedule, pause, resume, cancel, resend the failed."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigns.models import Campaign, CampaignStep
from campaigns.scheduling import first_run
from lms.audit import trail
from lms.database import utcnow
from lms.models import OutboxMessage, OutboxStatus

PAUSED = "paused"
CANCELLED = "cancelled"


def _campaign_messages(campaign: Campaign):
    return OutboxMessage.campaign_step_id.in_(select(CampaignStep.id).where(CampaignStep.campaign_id == campaign.id))


def schedule_campaign(session: Session, campaign: Campaign, now: datetime | None = None) -> None:
    """Start the campaign: every step gets its first run time."""
    now = now or utcnow()
    tz = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    runs = {step.id: first_run(step, now, tz) for step in campaign.steps}  # may raise before any change
    campaign.schedule()
    for step in campaign.steps:
        step.next_run_at = runs[step.id]
    trail.record(session, "campaign.schedule", campaign)


def pause_campaign(session: Session, campaign: Campaign) -> None:
    """Stop sending now: queued messages are held until the campaign resumes."""
    campaign.pause()
    session.execute(
        update(OutboxMessage)
        .where(_campaign_messages(campaign), OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.HELD, last_error=PAUSED)
        .execution_options(synchronize_session=False)
    )
    trail.record(session, "campaign.pause", campaign)


def resume_campaign(session: Session, campaign: Campaign) -> None:
    campaign.resume()
    session.execute(
        update(OutboxMessage)
        .where(
            _campaign_messages(campaign), OutboxMessage.status == OutboxStatus.HELD, OutboxMessage.last_error == PAUSED
        )
        .values(status=OutboxStatus.QUEUED, last_error=None)
        .execution_options(synchronize_session=False)
    )
    trail.record(session, "campaign.resume", campaign)


def cancel_campaign(session: Session, campaign: Campaign) -> None:
    """End the campaign for good; what was not sent yet never will be."""
    campaign.cancel()
    for step in campaign.steps:
        step.next_run_at = None
    session.execute(
        update(OutboxMessage)
        .where(_campaign_messages(campaign), OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.HELD]))
        .values(status=OutboxStatus.HELD, last_error=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    trail.record(session, "campaign.cancel", campaign)


def resend_failed(session: Session, campaign: Campaign) -> int:
    """Queue the failed messages again (after the office fixed an address, say)."""
    result = session.execute(
        update(OutboxMessage)
        .where(_campaign_messages(campaign), OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.QUEUED, next_attempt_at=utcnow(), attempts=0, last_error=None)
        .execution_options(synchronize_session=False)
    )
    trail.record(session, "campaign.resend_failed", campaign, details={"messages": result.rowcount or 0})
    return result.rowcount or 0
