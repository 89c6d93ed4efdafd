"""The scheduler's campaign job: find due steps, claim them, write their messages.

A due step is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two schedulers
work on different steps; on SQLite the job's transactions begin IMMEDIATE, so the single writer
serializes them. Only the scheduler holding the ``scheduler`` lease runs the job at all
(``lms.leases``). Either way the outbox's unique ``dedup_key`` is what guarantees a person never
gets the same occurrence twice. A cron step that missed occurrences (downtime, a pause) runs once
for the latest and notes the others (``note_missed_occurrences``).
"""

import logging
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigns.models import (
    Campaign,
    CampaignSkippedRun,
    CampaignStatus,
    CampaignStep,
    EmailPreference,
    SkipReason,
    StepTiming,
)
from campaigns.scheduling import catch_up, run_after
from campaigns.step_messages import Recipient, dedup_key, due_values, recipients_query, write_messages
from courses.audience.rules import audience_user_ids
from courses.models import Course, CourseStatus, Enrolment, EnrolmentStatus
from lms.database import as_utc, localized, utcnow
from lms.models import OutboxMessage, OutboxStatus, User

log = logging.getLogger(__name__)


def run_due_steps(session: Session, now: datetime | None = None) -> int:
    """Run every step whose time has come; commits after each step. Returns messages written."""
    now = now or utcnow()
    tz = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    written = 0
    while (step := _claim_next_due_step(session, now)) is not None:
        if step.timing == StepTiming.CRON:
            step.next_run_at = note_missed_occurrences(session, step, now, tz)
        written += run_step(session, step, now)
        step.last_run_at = now
        step.started_at = step.started_at or now
        step.next_run_at = run_after(step, now, tz, step.campaign.evergreen)
        session.commit()
    complete_finished_campaigns(session)
    session.commit()
    return written


def note_missed_occurrences(session: Session, step: CampaignStep, now: datetime, tz: ZoneInfo) -> datetime:
    """The occurrence a due cron step runs for now; the ones it replaces are noted as skipped.

    After downtime (or a pause) a recurring step runs once, for its latest occurrence, never once
    per occurrence missed (a burst of stale reminders) nor silently never: each occurrence passed
    meanwhile becomes a ``CampaignSkippedRun`` that the campaign page lists, and the log says so.
    """
    occurrence, skipped = catch_up(step.cron, as_utc(step.next_run_at), now, tz)
    if skipped:
        session.add_all(
            CampaignSkippedRun(
                step_id=step.id, occurrence_at=at, reason=SkipReason.MISSED, covered_by=occurrence, noted_at=now
            )
            for at in skipped
        )
        log.warning(
            "campaign %s, step %s: %d runs missed since %s; one catch-up run for %s",
            step.campaign_id,
            step.id,
            len(skipped),
            skipped[-1].isoformat(),
            occurrence.isoformat(),
        )
    return occurrence


def _claim_next_due_step(session: Session, now: datetime) -> CampaignStep | None:
    query = (
        select(CampaignStep)
        .join(Campaign)
        .where(Campaign.status == CampaignStatus.RUNNING, CampaignStep.next_run_at <= now)
        .order_by(CampaignStep.next_run_at, CampaignStep.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=CampaignStep)
    return session.scalars(query).first()


def complete_finished_campaigns(session: Session) -> None:
    """A running campaign with no step left to run and no message left to send is completed."""
    pending_step = select(CampaignStep.id).where(
        CampaignStep.campaign_id == Campaign.id, CampaignStep.next_run_at.is_not(None)
    )
    pending_mail = (
        select(OutboxMessage.id)
        .join(CampaignStep, CampaignStep.id == OutboxMessage.campaign_step_id)
        .where(
            CampaignStep.campaign_id == Campaign.id,
            OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
        )
    )
    finished = select(Campaign).where(
        Campaign.status == CampaignStatus.RUNNING, ~pending_step.exists(), ~pending_mail.exists()
    )
    for campaign in session.scalars(finished):
        campaign.complete()


def run_step(session: Session, step: CampaignStep, now: datetime) -> int:
    """Write this run's messages of ``step`` (the occurrence depends on its timing)."""
    campaign = step.campaign
    audience = audience_user_ids(campaign.audience)
    course_values = _course_values(session, campaign)
    if step.timing == StepTiming.RELATIVE_TO_DUE:
        recipients = _due_date_recipients(session, campaign, step, audience, now, course_values)
    else:
        occurrence = "1"
        if step.timing == StepTiming.CRON:
            occurrence = as_utc(step.next_run_at).strftime("%Y%m%dT%H%M")
        elif step.timing == StepTiming.ON_JOIN:
            occurrence = "join"
        query = recipients_query(campaign, step, occurrence, audience)
        if step.timing == StepTiming.DRIP:
            query = query.where(User.id.in_(_drip_ready(campaign, step, now)))
        elif step.timing == StepTiming.ON_JOIN:
            query = query.where(User.created_at >= campaign.started_at)
        recipients = (
            Recipient(
                id=r.id,
                email=r.email,
                full_name=r.full_name,
                locale=r.locale,
                occurrence=occurrence,
                values=course_values.get(r.locale, {}),
            )
            for r in session.execute(query.execution_options(yield_per=1000))
        )
    return write_messages(session, campaign, step, recipients, now)


def _drip_ready(campaign: Campaign, step: CampaignStep, now: datetime):
    """People who got the previous step at least ``delay_days`` ago."""
    earlier = [s for s in campaign.steps if s.position < step.position]
    previous = earlier[-1] if earlier else None
    cutoff = now - timedelta(days=step.delay_days or 0)
    if previous is None:
        return select(User.id).where(False)
    return select(OutboxMessage.user_id).where(
        OutboxMessage.campaign_step_id == previous.id,
        OutboxMessage.status == OutboxStatus.SENT,
        OutboxMessage.sent_at <= cutoff,
    )


def _course_values(session: Session, campaign: Campaign) -> dict[str, dict]:
    """``{course}`` per language, from the newest published version of the campaign's course."""
    if not campaign.course_slug:
        return {}
    course = session.scalars(
        select(Course)
        .where(Course.slug == campaign.course_slug, Course.status == CourseStatus.PUBLISHED)
        .order_by(Course.version.desc())
    ).first()
    if course is None:
        return {}
    return {loc: {"course": localized(course.title, loc)[0]} for loc in ("kk", "ru", "en")}


def _due_date_recipients(session, campaign, step, audience, now: datetime, course_values: dict):
    """One reminder per open enrolment whose moment (due date + offset, + k × repeat) has come."""
    query = (
        select(Enrolment.id, Enrolment.due_at, User.id.label("user_id"), User.email, User.full_name, User.locale)
        .join(User, User.id == Enrolment.user_id)
        .where(
            Enrolment.course_slug == campaign.course_slug,
            Enrolment.status.in_([EnrolmentStatus.NOT_STARTED, EnrolmentStatus.IN_PROGRESS]),
            Enrolment.due_at.is_not(None),
            User.active,
            User.id.in_(audience),
        )
    )
    if not campaign.mandatory:
        query = query.where(
            ~select(EmailPreference.id)
            .where(EmailPreference.user_id == User.id, EmailPreference.category == campaign.category)
            .exists()
        )
    existing = set(session.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.campaign_step_id == step.id)))
    for row in session.execute(query.execution_options(yield_per=1000)):
        due = as_utc(row.due_at)
        first = due + timedelta(days=step.offset_days or 0)
        if now < first:
            continue
        k = math.floor((now - first) / timedelta(days=step.repeat_days)) if step.repeat_days else 0
        recipient = Recipient(
            id=row.user_id,
            email=row.email,
            full_name=row.full_name,
            locale=row.locale,
            occurrence=f"e{row.id}:r{k}",
            values={**course_values.get(row.locale, {}), **due_values(row.id, due, row.locale, now)},
        )
        if dedup_key(step, recipient) not in existing:
            yield recipient


def stop_reminders_for(session: Session, user_id: int, course_slug: str) -> int:
    """Hold the queued reminders about a course for a person who just completed it."""
    steps = select(CampaignStep.id).join(Campaign).where(Campaign.course_slug == course_slug)
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.user_id == user_id,
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.campaign_step_id.in_(steps),
        )
        .values(status=OutboxStatus.HELD, last_error="completed the course")
    )
    return result.rowcount or 0
