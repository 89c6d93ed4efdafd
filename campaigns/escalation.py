"""Escalation by the org tree: after N reminders, a person's unit head hears about them.

A unit head is an officer scoped to a unit (``UserRole.scope_unit_id``). Each head gets at most
one digest a day per campaign, listing all their overdue people, never one e-mail per person.
"""

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.models import Campaign, CampaignStatus, CampaignStep
from courses.models import Enrolment, EnrolmentStatus
from lms.database import as_utc
from lms.mail.outbox import enqueue_email
from lms.models import OrgUnit, OutboxMessage, OutboxStatus, Role, User, UserRole


def unit_heads(session: Session) -> list[tuple[User, str]]:
    """Every active unit head with the path of the unit they oversee."""
    rows = session.execute(
        select(User, OrgUnit.path)
        .join(UserRole, UserRole.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == UserRole.scope_unit_id)
        .where(UserRole.role == Role.OFFICER, User.active)
    )
    return list(rows.tuples())


def nearest_head(heads: list[tuple[User, str]], unit_path: str | None, person_id: int) -> User | None:
    """The head of the deepest unit above (or at) the person's unit; never the person themselves."""
    best = None
    for head, path in heads:
        if unit_path and unit_path.startswith(path) and head.id != person_id:
            if best is None or len(path) > len(best[1]):
                best = (head, path)
    return best[0] if best else None


def send_digests(session: Session, now: datetime) -> int:
    """Queue today's digests for every running campaign that escalates; returns how many."""
    heads = unit_heads(session)
    if not heads:
        return 0
    campaigns = session.scalars(
        select(Campaign).where(
            Campaign.status == CampaignStatus.RUNNING, Campaign.escalate_after > 0, Campaign.course_slug.is_not(None)
        )
    )
    today = now.astimezone(ZoneInfo(current_app.config["ADAL_TIMEZONE"])).date().isoformat()
    queued = 0
    for campaign in campaigns:
        by_head: dict[int, list] = defaultdict(list)
        head_by_id = {}
        for person, unit_path, due_at, reminders in _escalated_people(session, campaign, now):
            head = nearest_head(heads, unit_path, person.id)
            if head is not None:
                by_head[head.id].append({"person": person, "due_at": as_utc(due_at), "reminders": reminders})
                head_by_id[head.id] = head
        if not by_head:
            continue
        keys = {head_id: f"digest:c{campaign.id}:h{head_id}:{today}" for head_id in by_head}
        # One query for all of the campaign's heads: a digest already queued today is not queued again.
        queued_today = set(
            session.scalars(select(OutboxMessage.dedup_key).where(OutboxMessage.dedup_key.in_(keys.values())))
        )
        for head_id, people in by_head.items():
            if keys[head_id] not in queued_today:
                enqueue_email(
                    session, head_by_id[head_id], "escalation_digest", keys[head_id], campaign=campaign, people=people
                )
                queued += 1
    return queued


def _escalated_people(session: Session, campaign: Campaign, now: datetime):
    """Overdue people of the campaign's course who already got ``escalate_after`` reminders."""
    reminders = (
        select(OutboxMessage.user_id, func.count(OutboxMessage.id).label("n"))
        .join(CampaignStep, CampaignStep.id == OutboxMessage.campaign_step_id)
        .where(CampaignStep.campaign_id == campaign.id, OutboxMessage.status == OutboxStatus.SENT)
        .group_by(OutboxMessage.user_id)
        .subquery()
    )
    return session.execute(
        select(User, OrgUnit.path, Enrolment.due_at, reminders.c.n)
        .join(reminders, reminders.c.user_id == User.id)
        .join(Enrolment, Enrolment.user_id == User.id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(
            reminders.c.n >= campaign.escalate_after,
            Enrolment.course_slug == campaign.course_slug,
            Enrolment.status.in_([EnrolmentStatus.NOT_STARTED, EnrolmentStatus.IN_PROGRESS]),
            Enrolment.due_at < now,
            User.active,
        )
        .order_by(User.full_name)
    ).tuples()
