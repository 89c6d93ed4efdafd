"""Regulatory documents with versions: PDFs checked and kept by their hash, the version in force on a day.

A version is never changed: the office adds a new one and the old ones stay in the history. The
version *in force* on a day is the one approved last on or before it; a day before the first
approval gets the first version (a learner who signed early still reads what came closest).
Files live in the storage folder as ``documents/<sha256>.pdf`` (so the nightly backup holds them),
written to a temporary name first and renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import date
from pathlib import Path

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from public_page.models import DocumentVersion, RegulatoryDocument

#: A document's key: lower-case letters, digits and hyphens, as in a URL.
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
_PDF_MAGIC = b"%PDF-"
#: Active content a PDF reader might run; a regulatory document needs none.
_ACTIVE_CONTENT = (b"/JavaScript", b"/JS ", b"/JS(", b"/Launch", b"/EmbeddedFile", b"/RichMedia")


class NotAPdf(ValueError):
    """An upload refused: its ``reason`` is a sentence for the office."""

    def __init__(self, reason):
        super().__init__(str(reason))
        self.reason = reason


def check_pdf(data: bytes, max_bytes: int) -> None:
    """Refuse anything but a plain PDF of at most ``max_bytes`` (judged by its bytes, not its name)."""
    if len(data) > max_bytes:
        raise NotAPdf(_l("The file is larger than %(mb)s MB.", mb=format_decimal(max_bytes / (1024 * 1024))))
    if not data.startswith(_PDF_MAGIC) or b"%%EOF" not in data[-2048:]:
        raise NotAPdf(_l("This file is not a PDF."))
    if any(marker in data for marker in _ACTIVE_CONTENT):
        raise NotAPdf(_l("This PDF holds scripts or embedded files; save it again as a plain PDF."))


def pdf_path(storage: str, sha256: str) -> Path:
    return Path(storage) / "documents" / f"{sha256}.pdf"


def store_pdf(storage: str, data: bytes) -> dict:
    """Write the file under its hash (once: the same file uploaded twice is kept once)."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = pdf_path(storage, sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".partial", delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)
    return {"sha256": sha256, "size": len(data)}


def find_document(session: Session, key: str) -> RegulatoryDocument | None:
    return session.scalar(
        select(RegulatoryDocument)
        .where(RegulatoryDocument.key == key)
        .options(selectinload(RegulatoryDocument.versions))
    )


def all_documents(session: Session) -> list[RegulatoryDocument]:
    """Every document with its versions (two queries), in the order they were added."""
    return list(
        session.scalars(
            select(RegulatoryDocument)
            .options(selectinload(RegulatoryDocument.versions))
            .order_by(RegulatoryDocument.id)
        )
    )


def create_document(session: Session, key: str) -> RegulatoryDocument:
    document = RegulatoryDocument(key=key)
    session.add(document)
    session.flush()
    return document


def add_version(
    session: Session,
    document: RegulatoryDocument,
    *,
    number: str,
    approved_on: date,
    title: dict,
    summary: dict,
    files: dict[str, bytes],
    storage: str,
    uploader,
) -> DocumentVersion:
    """Add a version (the PDFs already checked), keeping every earlier one; the view commits."""
    version = DocumentVersion(
        document=document,
        number=number,
        approved_on=approved_on,
        title=title,
        summary=summary,
        files={locale: store_pdf(storage, data) for locale, data in files.items()},
        uploaded_by_id=getattr(uploader, "id", None),
    )
    session.add(version)
    session.flush()
    return version


def history(document: RegulatoryDocument) -> list[DocumentVersion]:
    """The versions, newest approval first (uploads of the same day: the later one first)."""
    return sorted(document.versions, key=lambda v: (v.approved_on, v.id), reverse=True)


def version_in_force(document: RegulatoryDocument, on: date) -> DocumentVersion | None:
    """The version approved last on or before ``on``; the first one for a day before any approval."""
    versions = history(document)
    return next((v for v in versions if v.approved_on <= on), versions[-1] if versions else None)


def document_keys(session: Session) -> set[str]:
    return set(session.scalars(select(RegulatoryDocument.key)))
