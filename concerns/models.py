"""Case tables: a reported concern, its encrypted contents, the reporter's identity kept apart,
the history of every read and change, and the text-free statistics that outlive the case.

Every column marked *encrypted* holds a Fernet token made by ``concerns.crypto`` with a key that
is not in the database. Times that concern the reporter are kept to the day (``Date``), so a
database dump cannot be matched against a web server's or a building's logs.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime, utcnow
from lms.extensions import db
from lms.models import OrgUnit, User


class Category(enum.StrEnum):
    BRIBERY = "bribery"
    EXTORTION = "extortion"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    ACADEMIC_MISCONDUCT = "academic_misconduct"
    ABUSE_OF_OFFICE = "abuse_of_office"
    GIFTS = "gifts"
    OTHER = "other"


class CaseStatus(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    UNDER_REVIEW = "under_review"
    INVESTIGATION = "investigation"
    CLOSED = "closed"


class Outcome(enum.StrEnum):
    SUBSTANTIATED = "substantiated"
    NOT_SUBSTANTIATED = "not_substantiated"
    REFERRED = "referred"


class IllegalMove(Exception):
    """A status change the case's lifecycle does not allow (e.g. reopening a closed case)."""


#: The order a case moves through; a handler may skip ahead, never go back, and close from any open status.
STATUS_ORDER = (
    CaseStatus.NEW,
    CaseStatus.ACKNOWLEDGED,
    CaseStatus.UNDER_REVIEW,
    CaseStatus.INVESTIGATION,
    CaseStatus.CLOSED,
)


class Case(db.Model):
    """One reported concern, from the form to its closing."""

    __tablename__ = "concern_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the reporter types to come back, e.g. ``K7QF-2M9D``: random, so it tells nothing of how many there are.
    number: Mapped[str] = mapped_column(String(16), unique=True)
    #: The receipt code's slow hash (werkzeug's scrypt); the code itself is shown once and never kept.
    receipt_hash: Mapped[str] = mapped_column(String(256))
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.NEW, index=True)
    #: Set when closed: substantiated, not_substantiated or referred.
    outcome: Mapped[str | None] = mapped_column(String(24))
    #: The unit the concern is about, chosen by a handler.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="SET NULL"))
    anonymous: Mapped[bool] = mapped_column(default=True)
    #: The day only: a precise time could be matched with other logs.
    received_on: Mapped[date] = mapped_column(Date)
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    #: The day of the office's first message to the reporter.
    first_answer_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    #: The day the handlers were last reminded of it (one reminder a day at most).
    reminded_on: Mapped[date | None] = mapped_column(Date)
    #: Encrypted JSON: what happened, where, when, who was involved.
    report: Mapped[str] = mapped_column(Text)

    def move_to(self, status: str, today: date, outcome: str | None = None) -> None:
        """Change the status forward; closing needs an outcome. Raises :class:`IllegalMove` otherwise."""
        status = CaseStatus(status)
        if STATUS_ORDER.index(status) <= STATUS_ORDER.index(CaseStatus(self.status)):
            raise IllegalMove(status)
        if (status == CaseStatus.CLOSED) != (outcome is not None):
            raise IllegalMove(status)
        self.status = status
        if self.acknowledged_on is None:
            self.acknowledged_on = today
        if status == CaseStatus.CLOSED:
            self.outcome = Outcome(outcome)
            self.closed_on = today

    unit: Mapped[OrgUnit | None] = relationship()
    messages: Mapped[list[CaseMessage]] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True, order_by="CaseMessage.id"
    )
    files: Mapped[list[CaseFile]] = relationship(
        back_populates="case", cascade="all, delete-orphan", passive_deletes=True, order_by="CaseFile.id"
    )


class CaseIdentity(db.Model):
    """Who the reporter is, when they said so: apart from the case, shown only after a custodian approves."""

    __tablename__ = "case_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("concern_case.id", ondelete="CASCADE"), unique=True)
    #: Encrypted JSON: name and contact.
    data: Mapped[str] = mapped_column(Text)


class IdentityRequest(db.Model):
    """A handler's request to see the reporter's identity, and a custodian's decision on it."""

    __tablename__ = "case_identity_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("concern_case.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: Encrypted: the handler's reason, which may tell of the case.
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: ``None`` while waiting, then the custodian's answer.
    approved: Mapped[bool | None] = mapped_column()

    case: Mapped[Case] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class CaseMessage(db.Model):
    """A message between the office and the reporter, or (``internal``) a handlers' note."""

    __tablename__ = "case_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("concern_case.id", ondelete="CASCADE"), index=True)
    #: A handlers' note the reporter never sees.
    internal: Mapped[bool] = mapped_column(default=False)
    #: The handler who wrote it; ``None`` for the reporter.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    sent_on: Mapped[date] = mapped_column(Date)
    #: Encrypted text.
    body: Mapped[str] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()


class CaseFile(db.Model):
    """A file attached by the reporter, metadata stripped, encrypted whole."""

    __tablename__ = "case_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("concern_case.id", ondelete="CASCADE"), index=True)
    added_on: Mapped[date] = mapped_column(Date)
    #: Encrypted file name.
    name: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    #: Encrypted bytes.
    data: Mapped[bytes] = mapped_column(LargeBinary)

    case: Mapped[Case] = relationship(back_populates="files")


class CaseEvent(db.Model):
    """One read or change of a case, shown to its handlers as the case's history (never its contents)."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("concern_case.id", ondelete="CASCADE"), index=True)
    #: The handler or custodian; ``None`` for the reporter, whose events are kept to the day.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: e.g. ``read``, ``status``, ``message``, ``note``, ``identity_requested``.
    action: Mapped[str] = mapped_column(String(32))
    #: Codes only (a new status, a file count), never text.
    details: Mapped[dict] = mapped_column(db.JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class CaseStatistic(db.Model):
    """Numbers of one case with no text, kept when retention deletes the case (transparency figures)."""

    __tablename__ = "case_statistic"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("concern_case.id", ondelete="SET NULL"), unique=True)
    received_year: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str] = mapped_column(String(32))
    #: substantiated, not_substantiated or referred; ``None`` while in progress.
    outcome: Mapped[str | None] = mapped_column(String(24))
    days_to_first_answer: Mapped[int | None] = mapped_column(Integer)
    days_to_close: Mapped[int | None] = mapped_column(Integer)
