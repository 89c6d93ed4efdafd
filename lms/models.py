"""The platform's tables: people, org units, roles, office settings, audit log, outbox."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime, localized, utcnow
from lms.extensions import db


class Role(enum.StrEnum):
    """What a person may do beyond learning; every active person is a learner."""

    AUTHOR = "author"  #: writes and publishes courses
    OFFICER = "officer"  #: compliance office: people, assignments, campaigns, reports
    ADMIN = "admin"  #: everything, including roles and settings
    # -- concerns (issue 13): the only roles that open reported cases; admins do not hold them by default
    CASE_HANDLER = "case_handler"  #: reads and handles reported concerns
    CUSTODIAN = "custodian"  #: approves a handler's request to see a reporter's identity


class PersonKind(enum.StrEnum):
    STUDENT = "student"
    STAFF = "staff"


class OrgUnit(db.Model):
    """A node of the university tree: university → faculty/institute → department."""

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short code used in import files, e.g. ``FIT-CS``.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    #: ``/1/4/9/``: the ids from the root down, so a subtree is one ``LIKE`` query.
    path: Mapped[str] = mapped_column(String(512), index=True, default="/")
    kind: Mapped[str] = mapped_column(String(32), default="department")
    #: ``{"kk": ..., "ru": ..., "en": ...}``
    name: Mapped[dict] = mapped_column(JSON, default=dict)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])

    def display_name(self, locale: str) -> str:
        return localized(self.name, locale)[0] or self.code


class User(UserMixin, db.Model):
    """A person: a student or a member of staff, maybe with office roles."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Always stored lower-case; the login name.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=PersonKind.STUDENT)
    #: Interface and e-mail language: kk, ru or en.
    locale: Mapped[str] = mapped_column(String(8), default="kk")
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    study_group: Mapped[str | None] = mapped_column(String(64), index=True)
    position: Mapped[str | None] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    #: ``None`` until the person sets a password through their invitation link.
    password_hash: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    org_unit: Mapped[OrgUnit | None] = relationship()
    roles: Mapped[list[UserRole]] = relationship(back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    #: The sign-in (``UserSession.id``) this object was loaded or signed in for; not a column.
    session_key = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive people
        return self.active

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: str) -> bool:
        """True when the person holds any of ``roles``; admins hold every role."""
        names = self.role_names
        return Role.ADMIN in names or bool(names.intersection(roles))

    def get_id(self) -> str:
        """The id kept in the session and the remember-me cookie: it names the sign-in, which the
        server can end (``lms.sessions``), and changes with the password, so a new password signs
        out every other browser (and a stolen cookie)."""
        return f"{self.id}:{password_fingerprint(self.password_hash)}:{self.session_key}"


def password_fingerprint(password_hash: str | None) -> str:
    """A short digest that changes whenever the password does (never the hash itself)."""
    return hashlib.sha256((password_hash or "unset").encode()).hexdigest()[:16]


class UserSession(db.Model):
    """One sign-in of one person in one browser, from the sign-in form until it ends (``lms.sessions``)."""

    __tablename__ = "user_session"

    #: Random; the cookies carry it inside the person's id, signed with the secret key.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: Asked "remember me": a learner's sign-in then lasts ``ADAL_REMEMBER_DAYS``.
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The idle timeout counts from here; written at most once a minute.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class UserRole(db.Model):
    """One role held by one person, optionally scoped to an org unit and its sub-units."""

    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    #: ``None`` for the whole university; else the unit a unit head oversees.
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))

    user: Mapped[User] = relationship(back_populates="roles")
    scope_unit: Mapped[OrgUnit | None] = relationship()


class Setting(db.Model):
    """An office setting the office can edit (contacts in the footer, university name)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict | str] = mapped_column(JSON)


class AuditEvent(db.Model):
    """Who did what, when, to what: the trail auditors ask for."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    #: Dotted verb, e.g. ``auth.login``, ``people.import``, ``certificate.revoke``.
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship()


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"  #: waiting for its next attempt
    SENDING = "sending"  #: claimed by a delivery run
    SENT = "sent"  #: accepted by the SMTP server (or kept in the local mailbox)
    FAILED = "failed"  #: given up, with the reason in ``last_error``
    HELD = "held"  #: not to be sent (campaign paused or cancelled)


class OutboxMessage(db.Model):
    """One e-mail to one person, written in the transaction that decided to send it."""

    __tablename__ = "outbox_message"
    #: The delivery claim reads queued rows in (next_attempt_at, id) order: a campaign gives
    #: 20,000 rows the same time, so without ``id`` every claim would sort them all again.
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique per reason to send, e.g. ``campaign:12:step:3:occ:2026-12-09:user:55``.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    #: Stable ``Message-ID`` so a resend after a crash is recognisable as the same message.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    category: Mapped[str] = mapped_column(String(32), default="system")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(400))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    #: Extra headers such as ``List-Unsubscribe``.
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Files sent along, e.g. a calendar invitation: [{"filename", "content_type", "data" (base64)}].
    attachments: Mapped[list | None] = mapped_column(JSON)
    #: Campaign step the message belongs to, if any (the campaigns package sets it).
    campaign_step_id: Mapped[int | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SchedulerLease(db.Model):
    """A named lease one process holds for a short while and renews (``lms.leases``).

    ``scheduler`` makes one scheduler of several run the jobs; ``outbox`` lets one process deliver
    at a time on SQLite. A holder that stops renewing loses the lease when it expires.
    """

    __tablename__ = "scheduler_lease"

    #: What the lease guards, e.g. ``outbox``.
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Who holds it: host, process id and a random part.
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The holder's last heartbeat: when it last took or renewed the lease.
    renewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TwoFactor(db.Model):
    """A person's authenticator app (TOTP, ``lms.two_factor``): the second factor after the password."""

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    #: The base32 secret, encrypted with ``ADAL_TOTP_KEY`` (kept outside the database).
    secret: Mapped[str] = mapped_column(String(255))
    #: ``None`` while enrolling: the first right code from the app turns it on.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The time step (30 s) of the last code accepted: a code of that step or an earlier one is refused.
    last_step: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app, for a person who lost it."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: HMAC-SHA256 of the code keyed with ``ADAL_TOTP_KEY``: a database dump alone cannot test guesses.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
