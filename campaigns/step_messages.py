"""Materializing a step: one outbox row per recipient, written in one transaction.

Each row's ``dedup_key`` (campaign, step, occurrence, person) is unique in the outbox, so
running a step twice, or two schedulers at once, never writes a second message.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import String, cast, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from campaigns import pacing, tracking
from campaigns.models import MANDATORY_CATEGORIES, Campaign, CampaignStatus, CampaignStep, EmailPreference
from campaigns.rendering import CompiledMessage, compile_message, rewrite_links
from courses.models import Course, Enrolment
from lms.config import LOCALES
from lms.database import as_utc, localized, utcnow
from lms.models import OutboxMessage, OutboxStatus, User

BATCH = 1000
CAP_WINDOW = timedelta(days=7)


@dataclass
class Recipient:
    """A person to write to, with the values only they have (their due date, their link)."""

    id: int
    email: str
    full_name: str
    locale: str
    #: Which sending of the step this is for the person ("1", a cron time, "e12:r0", …).
    occurrence: str = "1"
    values: dict = field(default_factory=dict)


def dedup_prefix(step: CampaignStep, occurrence: str) -> str:
    return f"c{step.campaign_id}:s{step.id}:{occurrence}:u"


def dedup_key(step: CampaignStep, recipient: Recipient) -> str:
    return f"{dedup_prefix(step, recipient.occurrence)}{recipient.id}"


def recipients_query(campaign: Campaign, step: CampaignStep, occurrence: str, user_ids):
    """Active people among ``user_ids`` who still want this category and lack this occurrence."""
    prefix = dedup_prefix(step, occurrence)
    query = select(User.id, User.email, User.full_name, User.locale).where(
        User.id.in_(user_ids),
        User.active,
        ~exists().where(OutboxMessage.dedup_key == literal(prefix) + cast(User.id, String)),
    )
    if not campaign.mandatory:
        query = query.where(
            ~exists().where(EmailPreference.user_id == User.id, EmailPreference.category == campaign.category)
        )
    return query.order_by(User.id)


def compile_step(step: CampaignStep) -> dict[str, CompiledMessage]:
    """The step rendered once per language, with the office's footer in that language."""
    compiled = {}
    for locale in LOCALES:
        subject = localized(step.subject, locale)[0]
        body = localized(step.body, locale)[0]
        with force_locale(locale):
            footer_text = render_template("emails/footer.txt")
            footer_html = render_template("emails/campaign_footer.html")
        compiled[locale] = compile_message(subject, body, footer_text, footer_html)
    return compiled


def write_messages(
    session: Session, campaign: Campaign, step: CampaignStep, recipients: Iterable[Recipient], now: datetime
) -> int:
    """Queue the step for ``recipients``; returns how many rows were written (repeats skipped)."""
    compiled = compile_step(step)
    planner = _SendPlanner(session, campaign, now)
    status = OutboxStatus.QUEUED if campaign.status == CampaignStatus.RUNNING else OutboxStatus.HELD
    before = _count_of_step(session, step)
    batch: list[Recipient] = []
    for recipient in recipients:
        batch.append(recipient)
        if len(batch) >= BATCH:
            _insert(session, campaign, step, compiled, planner, status, batch)
            batch = []
    if batch:
        _insert(session, campaign, step, compiled, planner, status, batch)
    return _count_of_step(session, step) - before


def _count_of_step(session: Session, step: CampaignStep) -> int:
    """Rows of the step (the claim on the step keeps other schedulers out meanwhile)."""
    return session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.campaign_step_id == step.id))


def _insert(session, campaign, step, compiled, planner, status, batch: list[Recipient]) -> None:
    planner.load_recent([r.id for r in batch])
    base = current_app.config["ADAL_BASE_URL"]
    rows = []
    for person in batch:
        message_id = f"<{uuid.uuid4().hex}@adal>"
        values = {"name": person.full_name, "link": f"{base}/learning", **person.values}
        headers = {}
        if not campaign.mandatory:
            unsubscribe = tracking.unsubscribe_url(person.id, campaign.category, campaign.id)
            values["unsubscribe_link"] = unsubscribe
            headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        subject, text, body = compiled.get(person.locale, compiled["kk"]).fill(values)
        token = tracking.message_token(message_id) if campaign.track_clicks or campaign.track_opens else ""
        if campaign.track_clicks:
            skip = values.get("unsubscribe_link")
            body = rewrite_links(body, lambda url, t=token, s=skip: url if url == s else tracking.click_url(t, url))
        if campaign.track_opens:
            pixel = f'<img src="{tracking.open_url(token)}" width="1" height="1" alt="">'
            body = body.replace("</body>", f"{pixel}</body>")
        rows.append(
            {
                "dedup_key": dedup_key(step, person),
                "message_id": message_id,
                "category": campaign.category,
                "user_id": person.id,
                "to_addr": person.email,
                "subject": subject[:400],
                "body_text": text,
                "body_html": body,
                "headers": headers,
                "campaign_step_id": step.id,
                "status": status,
                "last_error": None if status == OutboxStatus.QUEUED else "paused",
                "attempts": 0,
                "created_at": planner.now,
                "next_attempt_at": planner.plan(person.id),
            }
        )
    table = OutboxMessage.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table).on_conflict_do_nothing(index_elements=["dedup_key"])
    # No RETURNING: psycopg then sends the rows as one prepared statement instead of re-parsing a
    # 16,000-placeholder query per batch; ``write_messages`` counts what was really written.
    session.connection().execute(insert, rows)


class _SendPlanner:
    """When each person's message may go: after quiet hours, holidays and the weekly cap."""

    def __init__(self, session: Session, campaign: Campaign, now: datetime):
        config = current_app.config
        self.session = session
        self.now = now
        self.campaign = campaign
        self.tz = ZoneInfo(config["ADAL_TIMEZONE"])
        self.quiet = pacing.parse_quiet_hours(config["ADAL_QUIET_HOURS"])
        self.holidays = pacing.parse_holidays(config["ADAL_HOLIDAYS"])
        self.cap = 0 if campaign.mandatory else config["ADAL_WEEKLY_CAP"]
        self.start = pacing.next_sending_time(now, self.tz, self.quiet, self.holidays)
        self.recent: dict[int, list[datetime]] = defaultdict(list)

    def load_recent(self, user_ids: list[int]) -> None:
        """The non-mandatory messages these people got or will get around now, in one query."""
        self.recent.clear()
        if not self.cap:
            return
        rows = self.session.execute(
            select(OutboxMessage.user_id, OutboxMessage.sent_at, OutboxMessage.next_attempt_at).where(
                OutboxMessage.user_id.in_(user_ids),
                OutboxMessage.category.not_in(list(MANDATORY_CATEGORIES)),
                OutboxMessage.category != "system",
                OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.SENT]),
                OutboxMessage.next_attempt_at > self.now - CAP_WINDOW,
            )
        )
        for user_id, sent_at, planned in rows:
            self.recent[user_id].append(as_utc(sent_at or planned))

    def plan(self, user_id: int) -> datetime:
        when = pacing.capped_time(self.start, self.recent[user_id], self.cap, CAP_WINDOW)
        if when != self.start:
            when = pacing.next_sending_time(when, self.tz, self.quiet, self.holidays)
        self.recent[user_id].append(when)
        return when


def render_for(session: Session, campaign: Campaign, step: CampaignStep, user: User) -> tuple[str, str, str]:
    """The step as ``user`` would get it (subject, text, HTML), for the preview and test sends."""
    base = current_app.config["ADAL_BASE_URL"]
    values = {"name": user.full_name, "link": f"{base}/learning"}
    if not campaign.mandatory:
        values["unsubscribe_link"] = tracking.unsubscribe_url(user.id, campaign.category, campaign.id)
    if campaign.course_slug:
        values.update(_course_values_for(session, campaign.course_slug, user))
    return compile_step(step)[user.locale if user.locale in LOCALES else "kk"].fill(values)


def _course_values_for(session: Session, slug: str, user: User) -> dict:
    values = {}
    title = session.scalar(select(Course.title).where(Course.slug == slug).order_by(Course.version.desc()).limit(1))
    if title:
        values["course"] = localized(title, user.locale)[0]
    enrolment = session.scalars(
        select(Enrolment)
        .where(Enrolment.user_id == user.id, Enrolment.course_slug == slug)
        .order_by(Enrolment.cycle.desc())
    ).first()
    if enrolment is not None and enrolment.due_at is not None:
        values.update(due_values(enrolment.id, enrolment.due_at, user.locale, utcnow()))
    return values


def due_values(enrolment_id: int, due_at: datetime, locale: str, now: datetime) -> dict:
    """``{due_date}``, ``{days_left}`` and ``{link}`` for one person's enrolment, in their language."""
    tz = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    due = as_utc(due_at).astimezone(tz)
    return {
        "due_date": format_date(due.date(), format="long", locale=locale),
        "days_left": max(0, (due.date() - now.astimezone(tz).date()).days),
        "link": f"{current_app.config['ADAL_BASE_URL']}/learning/{enrolment_id}",
    }
