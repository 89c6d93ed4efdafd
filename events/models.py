"""Event tables: events, their sessions, registrations (tickets, check-ins) and feedback."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime, utcnow
from lms.extensions import db
from lms.models import User


class EventKind(enum.StrEnum):
    SEMINAR = "seminar"
    LECTURE = "lecture"
    ROUND_TABLE = "round_table"
    PUBLIC_MEETING = "public_meeting"  #: a meeting with public representatives, NGOs


class AudienceMode(enum.StrEnum):
    MAY_REGISTER = "may_register"  #: the audience may register if they wish
    MUST_ATTEND = "must_attend"  #: the audience is expected to attend (shown as required)


class EventStatus(enum.StrEnum):
    DRAFT = "draft"  #: only the office sees it
    PUBLISHED = "published"  #: its audience sees it; registration follows the opening/closing times
    CANCELLED = "cancelled"


class Event(db.Model):
    """A seminar, lecture, round table or public meeting, held in one or more sessions."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[dict] = mapped_column(JSON, default=dict)  #: {"kk": ..., "ru": ..., "en": ...}
    description: Mapped[dict] = mapped_column(JSON, default=dict)  #: Markdown per locale
    kind: Mapped[str] = mapped_column(String(24), default=EventKind.SEMINAR)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT)
    #: An audience rule (``courses.audience``): who sees the event.
    audience: Mapped[dict] = mapped_column(JSON, default=lambda: {"kind": "all"})
    audience_mode: Mapped[str] = mapped_column(String(16), default=AudienceMode.MAY_REGISTER)
    #: Registration is open between these times (``None``: from publication / until the session starts).
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Places per session unless the session sets its own.
    capacity: Mapped[int] = mapped_column(default=30)
    #: The attendance certificate's text per locale (empty: no certificate of attendance).
    certificate_text: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Feedback is stored without the person's name.
    feedback_anonymous: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When "registration is open" went to the audience (sent once).
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="event", order_by="EventSession.starts_at", cascade="all, delete-orphan"
    )


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class EventSession(db.Model):
    """One meeting of an event: a time, a place or link, speakers and a number of places."""

    __tablename__ = "event_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_minutes: Mapped[int] = mapped_column(default=90)
    room: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    #: Names and affiliations, as the office writes them.
    speakers: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int] = mapped_column(default=30)
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.SCHEDULED)
    #: The calendar identity of the session: the UID stays, the SEQUENCE grows with each change.
    ics_uid: Mapped[str] = mapped_column(String(100), unique=True)
    ics_sequence: Mapped[int] = mapped_column(default=0)
    #: When the reminders and the thank-you went out (each once).
    day_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hour_reminder_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    thanked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    event: Mapped[Event] = relationship(back_populates="sessions")
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="session", order_by="Registration.id", cascade="all, delete-orphan"
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"  #: on the waiting list, in ``waiting_position`` order
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


#: Statuses that hold one of the session's places.
HOLDS_PLACE = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED, RegistrationStatus.NO_SHOW)


class Registration(db.Model):
    """A person's place (or a walk-in's) at one session: the ticket, its status and check-in."""

    __tablename__ = "event_registration"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        Index("ix_event_registration_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_session.id", ondelete="CASCADE"))
    #: ``None`` for a walk-in added by name at the door.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    #: The walk-in's name (people with an account are named by their account).
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default=RegistrationStatus.REGISTERED)
    #: Order on the waiting list (smaller moves up first); ``None`` when not waiting.
    waiting_position: Mapped[int | None]
    #: The short code printed under the QR code, in ``events.tickets.ALPHABET``.
    ticket_code: Mapped[str] = mapped_column(String(16), unique=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: When the person came in (the door's time, even when the phone sent it later).
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: The person gave feedback (a flag, not a time: anonymous feedback must not be matched to them).
    feedback_given: Mapped[bool] = mapped_column(default=False)

    session: Mapped[EventSession] = relationship(back_populates="registrations")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    checked_in_by: Mapped[User | None] = relationship(foreign_keys=[checked_in_by_id])

    @property
    def display_name(self) -> str:
        return self.user.full_name if self.user is not None else self.name


class Feedback(db.Model):
    """A rating (1-5) and a comment on a session, maybe anonymous."""

    __tablename__ = "event_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_session.id", ondelete="CASCADE"), index=True)
    #: ``None`` when the event's feedback is anonymous.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
