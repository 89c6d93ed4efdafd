"""The learning tables: courses and their versions, modules, questions, enrolments, attempts."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    update,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, object_session, relationship
from sqlalchemy.orm.attributes import set_committed_value

from lms.database import UTCDateTime, utcnow
from lms.extensions import db
from lms.models import User


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class VersionError(Exception):
    """A lifecycle move that is not allowed (publishing a published course, editing a frozen one)."""


class ModuleKind(enum.StrEnum):
    LESSON = "lesson"
    QUIZ = "quiz"
    ATTESTATION = "attestation"
    SEMINAR = "seminar"  #: done by attending an event (``courses.learning.seminars``)


class Course(db.Model):
    """One version of a course. Publishing freezes it; editing makes the next version a draft."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("slug", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable name across versions, e.g. ``code-of-ethics``.
    slug: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default=CourseStatus.DRAFT)
    #: The language to fall back to when the reader's is missing.
    default_locale: Mapped[str] = mapped_column(String(8), default="ru")
    title: Mapped[dict] = mapped_column(JSON, default=dict)  #: {"kk": ..., "ru": ..., "en": ...}
    description: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Percent needed in every quiz unless the quiz sets its own.
    pass_mark: Mapped[int] = mapped_column(default=70)
    #: Months a completion stays valid; ``None`` for never expiring.
    validity_months: Mapped[int | None]
    #: After this many failed attempts of a quiz, the learner re-reads the lesson before it.
    remedial_after_failures: Mapped[int | None]
    #: Who the course is meant for: "all", "staff", "students" (a hint for the office).
    audience_hint: Mapped[str] = mapped_column(String(16), default="all")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )

    def publish(self, now: datetime | None = None) -> None:
        """Freeze a draft as the version new learners get (whether its content may be published: the caller's check)."""
        if self.status != CourseStatus.DRAFT:
            raise VersionError(gettext("Only a draft can be published."))
        self.status = CourseStatus.PUBLISHED
        self.published_at = now or utcnow()

    def archive(self) -> None:
        """Withdraw a version from new enrolments; people already on it keep it."""
        if self.status == CourseStatus.ARCHIVED:
            raise VersionError(gettext("This version is already archived."))
        self.status = CourseStatus.ARCHIVED


class Module(db.Model):
    """A step of a course: a lesson to read, a quiz to pass, a document to sign or a seminar to attend."""

    __tablename__ = "course_module"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    #: Stable name inside the course, e.g. ``gifts``; kept across versions.
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16), default=ModuleKind.LESSON)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Markdown per locale (lessons, attestation documents).
    body: Mapped[dict] = mapped_column(JSON, default=dict)
    required: Mapped[bool] = mapped_column(default=True)
    #: Quiz: ``pools`` [{"pool", "draw"}], ``time_limit_s``, ``max_attempts``, ``grading``
    #: (highest|last), ``pass_mark``, ``show_answers`` (always|passed|never), ``remedial_module``.
    #: Attestation: ``document_version``, ``min_reading_s``. Seminar: ``event_id``.
    settings: Mapped[dict] = mapped_column(JSON, default=dict)

    course: Mapped[Course] = relationship(back_populates="modules")
    questions: Mapped[list[Question]] = relationship(
        back_populates="module", order_by="Question.position", cascade="all, delete-orphan"
    )


class Question(db.Model):
    """A question of a quiz's bank, in a pool from which attempts draw."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_module.id", ondelete="CASCADE"), index=True)
    #: Stable name inside the quiz, e.g. ``gift-from-parent``.
    key: Mapped[str] = mapped_column(String(100))
    pool: Mapped[str] = mapped_column(String(64), default="main")
    position: Mapped[int] = mapped_column(default=0)
    #: single | multiple | truefalse | ordering | matching (see ``courses.questions``).
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[dict] = mapped_column(JSON, default=dict)
    #: [{"id": "a", "text": {locale: ...}, "match": {locale: ...}?}]
    options: Mapped[list] = mapped_column(JSON, default=list)
    #: The key: option ids (single/multiple), true/false, the ordered ids, or {left: right}.
    answer: Mapped[dict | list | bool | str] = mapped_column(JSON)
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    points: Mapped[int] = mapped_column(default=1)

    module: Mapped[Module] = relationship(back_populates="questions")


class Assignment(db.Model):
    """A course given to an audience, with a due date and maybe a recurrence."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_slug: Mapped[str] = mapped_column(String(100), index=True)
    #: An audience rule (see ``courses.audience``), e.g. {"kind": "unit", "unit_id": 3, "sub": true}.
    audience: Mapped[dict] = mapped_column(JSON)
    due_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Days after enrolment, used when ``due_date`` is empty.
    due_days: Mapped[int | None]
    #: Months between cycles ("every 12 months"); ``None`` for once.
    recurrence_months: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EnrolmentStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  #: un-assigned before completion; history kept


#: An enrolment still to finish: the only kind that starts, completes or is cancelled.
OPEN_STATUSES = (EnrolmentStatus.NOT_STARTED, EnrolmentStatus.IN_PROGRESS)


class Enrolment(db.Model):
    """One person taking one course version in one cycle."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug", "cycle"),
        Index("ix_enrolment_course_status", "course_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    course_slug: Mapped[str] = mapped_column(String(100))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id"), index=True)
    #: 1 for the first time, 2 for the first recertification, …
    cycle: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default=EnrolmentStatus.NOT_STARTED)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: Percent, the average of the quizzes' kept scores.
    score: Mapped[int | None]
    #: When the completion stops being valid (completion + validity), if it ever does.
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_module_id: Mapped[int | None] = mapped_column(ForeignKey("course_module.id"))

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def start(self, now: datetime | None = None) -> None:
        """The learner opened a module: a new enrolment is in progress from now."""
        if self.status == EnrolmentStatus.NOT_STARTED:
            self.status = EnrolmentStatus.IN_PROGRESS
            self.started_at = now or utcnow()

    def complete(self, now: datetime, score: int | None, valid_until: datetime | None) -> bool:
        """Record the completion unless it is already recorded; ``True`` for the call that recorded it.

        The conditional UPDATE makes two concurrent requests complete it once.
        """
        values = {
            "status": EnrolmentStatus.COMPLETED,
            "completed_at": now,
            "score": score,
            "valid_until": valid_until,
            "started_at": self.started_at or now,
        }
        session = object_session(self)
        result = session.execute(
            update(Enrolment)
            .where(Enrolment.id == self.id, Enrolment.status != EnrolmentStatus.COMPLETED)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.refresh(self)
            return False
        for name, value in values.items():
            set_committed_value(self, name, value)
        return True

    @classmethod
    def cancel_open(cls, session, *conditions) -> int:
        """Cancel the unfinished enrolments matching ``conditions`` in one UPDATE; completions stay as history.

        Returns how many were cancelled.
        """
        result = session.execute(
            update(cls)
            .where(*conditions, cls.status.in_(OPEN_STATUSES))
            .values(status=EnrolmentStatus.CANCELLED)
            .execution_options(synchronize_session=False, preserve_rowcount=True)
        )
        return result.rowcount or 0


class ModuleProgress(db.Model):
    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_module.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Failed quiz attempts since the lesson was last re-read (remedial path).
    failures: Mapped[int] = mapped_column(default=0)
    #: Best or last score kept by the quiz's grading rule.
    score: Mapped[int | None]


class QuizAttempt(db.Model):
    """One attempt at a quiz: the draw is stored so a reload shows the same questions."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "module_id", "number"),
        #: Question statistics read a quiz's submitted attempts, whoever made them.
        Index("ix_quiz_attempt_module_submitted", "module_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_module.id"))
    number: Mapped[int] = mapped_column(default=1)
    seed: Mapped[int]
    #: [{"question_id": 5, "options": ["c", "a", "b"]}] in the order shown.
    draw: Mapped[list] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answers: Mapped[dict | None] = mapped_column(JSON)
    #: Per question: {"question_id": {"correct": bool, "points": float}}.
    results: Mapped[dict | None] = mapped_column(JSON)
    score: Mapped[int | None]
    passed: Mapped[bool | None]
    #: The language the questions were shown in (kk, ru, en): statistics per language find a bad translation.
    locale: Mapped[str | None] = mapped_column(String(8))


class Attestation(db.Model):
    """A signed "I have read and accept": which document version, its hash, and when."""

    __tablename__ = "attestation"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("course_module.id"))
    document_version: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the document text as shown to the person.
    document_sha256: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CertificateStatus(enum.StrEnum):
    """What verifying a certificate says (derived from its dates, not stored)."""

    VALID = "valid"
    EXPIRED = "expired"  #: its course's validity ran out
    REVOKED = "revoked"


class CertificateError(ValueError):
    """A change the certificate's state does not allow (e.g. re-issuing a revoked one)."""


class Certificate(db.Model):
    """Proof of a completion that anyone can verify by its code."""

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unguessable (≥128 random bits), shown as text and in the QR code.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    #: The code people type, ``ADAL-7K3M-Q9XF-2P`` (issue 15); none on certificates issued before it.
    short_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    #: The completion it proves; ``None`` on a certificate of attendance.
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolment.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id"), index=True)
    #: A certificate of attendance: the event registration it proves (kept without a foreign key:
    #: courses know no events table, and the proof outlives the event) and the event's title as it was.
    registration_id: Mapped[int | None] = mapped_column(unique=True)
    event_title: Mapped[dict | None] = mapped_column(JSON)
    #: The name as recorded at issue (re-issue after a correction changes it).
    holder_name: Mapped[str] = mapped_column(String(200))
    score: Mapped[int | None]
    locale: Mapped[str] = mapped_column(String(8))
    #: "single" or "kk-ru" (bilingual).
    layout: Mapped[str] = mapped_column(String(16), default="single")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    enrolment: Mapped[Enrolment | None] = relationship()
    course: Mapped[Course | None] = relationship()
    user: Mapped[User] = relationship()

    def revoke(self, reason: str, now: datetime | None = None) -> None:
        """Revoke for a reason, once; verification says "revoked" from now on."""
        reason = (reason or "").strip()
        if not reason:
            raise CertificateError(gettext("Give a reason for the revocation."))
        if self.revoked_at is not None:
            raise CertificateError(gettext("This certificate is already revoked."))
        self.revoked_at = now or utcnow()
        self.revoked_reason = reason

    def reissue(self, holder_name: str, render: Callable[[str], bytes]) -> None:
        """Print a corrected name under the same code; ``render(name)`` makes the new PDF. Never on a revoked one."""
        holder_name = (holder_name or "").strip()
        if not holder_name:
            raise CertificateError(gettext("Give the name to print."))
        if self.revoked_at is not None:
            raise CertificateError(gettext("A revoked certificate cannot be re-issued."))
        pdf = render(holder_name)
        self.holder_name = holder_name
        self.pdf = pdf
        self.pdf_sha256 = hashlib.sha256(pdf).hexdigest()


class ExportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class CertificateExport(db.Model):
    """A zip of all certificates of a course or unit, built in the background by the scheduler."""

    __tablename__ = "certificate_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Filters: certificates of this course (every version) and/or of people in this unit's subtree.
    course_slug: Mapped[str | None] = mapped_column(String(100))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.QUEUED, index=True)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    #: The zip's path relative to ``ADAL_STORAGE_PATH``.
    file_path: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: When its builder last showed life (claimed it, finished a batch): staleness counts from here,
    #: not from the request, so an export that waited in the queue is not taken twice.
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
