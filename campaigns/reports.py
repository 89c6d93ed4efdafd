"""What a campaign did: delivery counts, opens, clicks, unsubscribes, completions after reminders."""

from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from campaigns.models import Campaign, CampaignStep, Category, EmailPreference
from courses.models import Enrolment
from lms.database import as_utc
from lms.exports import wall_time
from lms.mail.outbox import STATUS_LABELS
from lms.models import OutboxMessage, OutboxStatus, User

COMPLETION_WINDOW = timedelta(days=7)


def _messages_of(campaign_id: int):
    return OutboxMessage.campaign_step_id.in_(select(CampaignStep.id).where(CampaignStep.campaign_id == campaign_id))


def campaign_stats(session: Session, campaign: Campaign) -> dict:
    """Counts for the campaign page, in three queries whatever the number of recipients."""

    def count_if(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(
        select(
            func.count(OutboxMessage.id),
            *(count_if(OutboxMessage.status == s) for s in OutboxStatus),
            count_if(OutboxMessage.opened_at.is_not(None)),
            count_if(OutboxMessage.clicked_at.is_not(None)),
        ).where(_messages_of(campaign.id))
    ).one()
    stats = {"total": row[0], **{s.value: row[i + 1] for i, s in enumerate(OutboxStatus)}}
    stats["opened"], stats["clicked"] = row[-2], row[-1]
    stats["unsubscribed"] = session.scalar(
        select(func.count(EmailPreference.id)).where(EmailPreference.campaign_id == campaign.id)
    )
    stats["completed_within_7_days"] = (
        completions_after_reminders(session, campaign) if campaign.category == Category.TRAINING_REMINDER else None
    )
    return stats


def completions_after_reminders(session: Session, campaign: Campaign) -> int:
    """How many recipients completed the campaign's course within 7 days of a message to them."""
    if not campaign.course_slug:
        return 0
    rows = session.execute(
        select(OutboxMessage.user_id, OutboxMessage.sent_at, Enrolment.completed_at)
        .join(Enrolment, Enrolment.user_id == OutboxMessage.user_id)
        .where(
            _messages_of(campaign.id),
            OutboxMessage.status == OutboxStatus.SENT,
            Enrolment.course_slug == campaign.course_slug,
            Enrolment.completed_at.is_not(None),
        )
        .execution_options(yield_per=1000)
    )
    people = set()
    for user_id, sent_at, completed_at in rows:
        sent, done = as_utc(sent_at), as_utc(completed_at)
        if sent <= done <= sent + COMPLETION_WINDOW:
            people.add(user_id)
    return len(people)


RECIPIENT_COLUMNS = (
    _l("E-mail"),
    _l("Name"),
    _l("Step"),
    _l("Status"),
    _l("Sent"),
    _l("Opened"),
    _l("Clicked"),
    _l("Error"),
)


def recipient_header() -> list[str]:
    return [str(label) for label in RECIPIENT_COLUMNS]


def recipient_rows(session: Session, campaign: Campaign, zone: ZoneInfo) -> Iterator[list]:
    """One row per message, times in the university's zone, streamed a thousand at a time."""
    states = {status: str(label) for status, label in STATUS_LABELS.items()}  # translated once
    query = (
        select(
            OutboxMessage.to_addr,
            User.full_name,
            CampaignStep.position,
            OutboxMessage.status,
            OutboxMessage.sent_at,
            OutboxMessage.opened_at,
            OutboxMessage.clicked_at,
            OutboxMessage.last_error,
        )
        .join(CampaignStep, CampaignStep.id == OutboxMessage.campaign_step_id)
        .outerjoin(User, User.id == OutboxMessage.user_id)
        .where(CampaignStep.campaign_id == campaign.id)
        .order_by(OutboxMessage.id)
        .execution_options(yield_per=1000)
    )
    for row in session.execute(query):
        times = (wall_time(v, zone) for v in row[4:7])
        yield [row[0], row[1] or "", row[2] + 1, states.get(row[3], row[3]), *times, row[7] or ""]
