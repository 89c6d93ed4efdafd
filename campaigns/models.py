"""Campaign tables: campaigns, their steps, and people's e-mail preferences."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from lms.database import UTCDateTime, utcnow
from lms.extensions import db


class Category(enum.StrEnum):
    AWARENESS = "awareness"
    TRAINING_REMINDER = "training_reminder"
    ANNOUNCEMENT = "announcement"


#: People cannot unsubscribe from these, and the weekly cap does not hold them back.
MANDATORY_CATEGORIES = frozenset({Category.TRAINING_REMINDER, Category.ANNOUNCEMENT})


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    RUNNING = "running"  #: scheduled or sending: the scheduler looks at its steps
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class IllegalTransition(Exception):
    """A lifecycle move the campaign's status does not allow (e.g. resuming a cancelled one)."""


_MOVES = {
    "schedule": ({CampaignStatus.DRAFT}, CampaignStatus.RUNNING),
    "pause": ({CampaignStatus.RUNNING}, CampaignStatus.PAUSED),
    "resume": ({CampaignStatus.PAUSED}, CampaignStatus.RUNNING),
    "cancel": ({CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED}, CampaignStatus.CANCELLED),
    "complete": ({CampaignStatus.RUNNING}, CampaignStatus.COMPLETED),
}


class Campaign(db.Model):
    """An awareness campaign or a series of reminders to an audience."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The name in the office's language when it was saved: the fallback where ``names`` has none.
    name: Mapped[str] = mapped_column(String(200))
    #: The name per language, ``{"kk": …, "ru": …, "en": …}`` (issue 15); may miss languages.
    names: Mapped[dict] = mapped_column(JSON, default=dict)
    category: Mapped[str] = mapped_column(String(32), default=Category.AWARENESS)
    #: An audience rule (``courses.audience``).
    audience: Mapped[dict] = mapped_column(JSON, default=lambda: {"kind": "all"})
    #: The course that ``{course}``, ``{due_date}`` and relative-to-due steps refer to.
    course_slug: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT)
    #: Reach people who join the audience after the campaign started (evergreen).
    evergreen: Mapped[bool] = mapped_column(default=False)
    track_opens: Mapped[bool] = mapped_column(default=True)
    track_clicks: Mapped[bool] = mapped_column(default=True)
    #: After this many reminders a person's unit head gets them in a daily digest (0: never).
    escalate_after: Mapped[int] = mapped_column(default=0)
    template_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    steps: Mapped[list[CampaignStep]] = relationship(
        back_populates="campaign", order_by="CampaignStep.position", cascade="all, delete-orphan"
    )

    @property
    def mandatory(self) -> bool:
        return self.category in MANDATORY_CATEGORIES

    def _move(self, move: str) -> None:
        allowed, target = _MOVES[move]
        if self.status not in allowed:
            raise IllegalTransition(f"{move} is not possible while the campaign is {self.status}")
        self.status = target

    def schedule(self) -> None:
        self._move("schedule")
        self.started_at = utcnow()

    def pause(self) -> None:
        self._move("pause")

    def resume(self) -> None:
        self._move("resume")

    def cancel(self) -> None:
        self._move("cancel")

    def complete(self) -> None:
        self._move("complete")


class StepTiming(enum.StrEnum):
    NOW = "now"  #: as soon as the campaign is scheduled
    AT = "at"  #: at ``send_at``
    CRON = "cron"  #: every time ``cron`` fires (university time zone)
    DRIP = "drip"  #: ``delay_days`` after the person got the previous step
    RELATIVE_TO_DUE = "relative_to_due"  #: ``offset_days`` from the person's due date, maybe repeating
    ON_JOIN = "on_join"  #: when a person joins the audience after the campaign started


class CampaignStep(db.Model):
    """One message of a campaign, with its text per language and when it goes out."""

    __tablename__ = "campaign_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    subject: Mapped[dict] = mapped_column(JSON, default=dict)  #: per locale, with placeholders
    body: Mapped[dict] = mapped_column(JSON, default=dict)  #: Markdown per locale, with placeholders
    timing: Mapped[str] = mapped_column(String(16), default=StepTiming.NOW)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: A cron rule such as ``0 10 * * 1#1`` (first Monday of the month at 10:00).
    cron: Mapped[str | None] = mapped_column(String(64))
    delay_days: Mapped[int | None]
    #: Relative to the due date: -7 is a week before, 1 the day after.
    offset_days: Mapped[int | None]
    #: Relative to the due date: repeat every N days until the person completes.
    repeat_days: Mapped[int | None]
    #: When the scheduler should next look at this step (``None``: nothing more to do).
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The step has started sending; from then on it cannot be edited.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    campaign: Mapped[Campaign] = relationship(back_populates="steps")

    @property
    def editable(self) -> bool:
        return self.started_at is None


class EmailPreference(db.Model):
    """A person's choice not to receive one category of non-mandatory e-mail."""

    __tablename__ = "email_preference"
    __table_args__ = (UniqueConstraint("user_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(32))
    unsubscribed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Which campaign's link was used, for the campaign report.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id"))


class SkipReason(enum.StrEnum):
    #: The occurrence passed while no scheduler ran the step (downtime, a paused campaign):
    #: one catch-up run replaced all the occurrences missed.
    MISSED = "missed"


class CampaignSkippedRun(db.Model):
    """An occurrence of a recurring step that did not run on its own, and why (the campaign page lists them)."""

    __tablename__ = "campaign_skipped_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("campaign_step.id", ondelete="CASCADE"), index=True)
    #: When the step should have run (UTC).
    occurrence_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(16), default=SkipReason.MISSED)
    #: The catch-up run that stood in for it (its occurrence time).
    covered_by: Mapped[datetime | None] = mapped_column(UTCDateTime())
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    step: Mapped[CampaignStep] = relationship(
        backref=backref(
            "skipped_runs",
            lazy="dynamic",
            order_by="CampaignSkippedRun.occurrence_at.desc()",
            cascade="all, delete-orphan",
            passive_deletes=True,
        )
    )
