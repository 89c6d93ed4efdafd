"""The public page's tables: the office's texts of the eight methods, regulatory documents and their versions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.database import UTCDateTime, utcnow
from lms.extensions import db


class MethodText(db.Model):
    """The office's own wording of one of the eight methods (the shipped default until it saves one)."""

    __tablename__ = "public_method_text"

    #: The method's key in ``public.methods.METHODS`` (``transparency``, ``ethics-codes``, …).
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: ``{"kk": …, "ru": …, "en": …}``
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Markdown per locale, shown sanitized.
    body: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class RegulatoryDocument(db.Model):
    """A regulatory document (the anti-corruption policy, the code of ethics) across its versions."""

    __tablename__ = "regulatory_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Its name in public URLs (``/documents/code-of-ethics``); a course of the same slug links to it.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        order_by="(DocumentVersion.approved_on.desc(), DocumentVersion.id.desc())",
        cascade="all, delete-orphan",
    )


class DocumentVersion(db.Model):
    """One approved version: its number, date of approval, title and summary, and a PDF per language.

    Versions are never changed or deleted: a new one is added, the old ones stay as the history.
    """

    __tablename__ = "regulatory_document_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("regulatory_document.id", ondelete="CASCADE"), index=True)
    #: The number the university gave it (order or protocol number), e.g. ``№ 12-ОД``.
    number: Mapped[str] = mapped_column(String(64))
    #: In force from this day until the next version's day.
    approved_on: Mapped[date] = mapped_column(Date)
    title: Mapped[dict] = mapped_column(JSON, default=dict)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    #: ``{locale: {"sha256": …, "size": bytes}}``; the file is ``documents/<sha256>.pdf`` in the storage folder.
    files: Mapped[dict] = mapped_column(JSON, default=dict)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    document: Mapped[RegulatoryDocument] = relationship(back_populates="versions")
