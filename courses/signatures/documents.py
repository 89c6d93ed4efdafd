"""The documents people sign, their current versions, and which of a person's signatures counts.

An attested document is an ``attestation`` module (the code of ethics). It is the same document in
every version of its course when the course slug and the module key are the same; its *current*
version is the ``document_version`` of that module in the newest published version of the course.
A document that the newest published version no longer holds is history: it stays on each
person's page but has no register.

A signature counts whatever cycle or course version it was given in (a person who signed the
current version last year has signed it), and each person is in one state towards a document:

- ``current``: signed the current version;
- ``older``: signed only older versions (versions are labels such as ``2026-1``, not numbers, so
  "older" means "not the current one");
- ``none``: never signed this document.

Everything is computed in SQL, the current version included: a window over the document's
signatures picks each person's current signature if there is one, else their newest. These are
the building blocks of the register, its counts and the progress export's column (``register``),
so each is a fixed number of queries whatever the number of people.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, String, Subquery, and_, case, cast, exists, func, select
from sqlalchemy.orm import Session, aliased

from courses.models import Attestation, Course, CourseStatus, Module, ModuleKind
from lms.database import localized

SIGNED_CURRENT = "current"
SIGNED_OLDER = "older"
NOT_SIGNED = "none"
#: The states of a person towards a document, in the order the register shows them.
STATES = (SIGNED_CURRENT, SIGNED_OLDER, NOT_SIGNED)
STATE_LABELS = {
    SIGNED_CURRENT: _l("signed the current version"),
    SIGNED_OLDER: _l("signed an older version"),
    NOT_SIGNED: _l("not signed"),
}


@dataclass(frozen=True)
class Document:
    """An attested document as its course's newest published version holds it."""

    slug: str
    key: str
    #: The module's title per locale (``{"kk": …, "ru": …, "en": …}``).
    title: dict
    course_title: dict
    #: The version a signature must carry to be current, e.g. ``2026-1``.
    version: str

    @property
    def ref(self) -> str:
        """The document's name in a URL: ``code-of-ethics:code-acceptance``."""
        return f"{self.slug}:{self.key}"

    def label(self, locale: str) -> str:
        course = localized(self.course_title, locale)[0] or self.slug
        return f"{course} — {localized(self.title, locale)[0] or self.key}"


# The documents --------------------------------------------------------------------------------


def version_expr() -> ColumnElement[str]:
    """A module's document version in SQL, read as ``courses.learning.progress.document_version`` reads it."""
    raw = cast(Module.settings["document_version"].as_string(), String)
    return func.coalesce(func.nullif(raw, ""), "1")


def current_documents() -> Subquery:
    """Every attested document with its current version: one row per (slug, key), as a subquery.

    ``rank`` is 1 for the first document of a course (by position), the one the progress export shows.
    """
    newer = aliased(Course)
    return (
        select(
            Course.slug,
            Module.key,
            Module.title,
            Course.title.label("course_title"),
            version_expr().label("version"),
            Module.position,
            func.row_number().over(partition_by=Course.slug, order_by=(Module.position, Module.key)).label("rank"),
        )
        .join(Module, Module.course_id == Course.id)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            Module.kind == ModuleKind.ATTESTATION,
            ~exists().where(
                newer.slug == Course.slug, newer.status == CourseStatus.PUBLISHED, newer.version > Course.version
            ),
        )
        .subquery("document")
    )


def attested_documents(session: Session) -> list[Document]:
    """The documents people sign, by course and position (one query): the register's choices."""
    doc = current_documents()
    rows = session.execute(select(doc).order_by(doc.c.slug, doc.c.position, doc.c.key))
    return [Document(r.slug, r.key, r.title or {}, r.course_title or {}, r.version) for r in rows]


def find_document(documents: list[Document], ref: str | None) -> Document | None:
    """The document named ``ref`` (``slug:key``), else the first, else ``None`` when there is none."""
    return next((d for d in documents if d.ref == ref), documents[0] if documents else None)


# Each person's latest signature ---------------------------------------------------------------


def latest_signatures(slug: str | None = None, key: str | None = None) -> Subquery:
    """Each person's signature that counts, per document: the current version's, else the newest.

    One row per (user_id, slug, key) with the signed ``version``, ``accepted_at``, ``locale``,
    ``sha256`` and ``is_current`` (1 or 0). ``slug``/``key`` narrow it to one document (a smaller window).
    """
    doc = current_documents()
    is_current = case((Attestation.document_version == doc.c.version, 1), else_=0)
    rank = func.row_number().over(
        partition_by=(Attestation.user_id, Course.slug, Module.key),
        order_by=(is_current.desc(), Attestation.accepted_at.desc(), Attestation.id.desc()),
    )
    ranked = (
        select(
            Attestation.user_id,
            Course.slug,
            Module.key,
            Attestation.document_version.label("version"),
            Attestation.accepted_at,
            Attestation.locale,
            Attestation.document_sha256.label("sha256"),
            is_current.label("is_current"),
            rank.label("rank"),
        )
        .join(Module, Module.id == Attestation.module_id)
        .join(Course, Course.id == Module.course_id)
        .join(doc, and_(doc.c.slug == Course.slug, doc.c.key == Module.key))
    )
    if slug is not None:
        ranked = ranked.where(Course.slug == slug)
    if key is not None:
        ranked = ranked.where(Module.key == key)
    ranked = ranked.subquery("ranked")
    return select(*(c for c in ranked.c if c.name != "rank")).where(ranked.c.rank == 1).subquery("signature")


def state_expr(signature: Subquery) -> ColumnElement[str]:
    """A person's state towards the document, from their outer-joined row of ``signature``.

    ``signature`` has ``user_id`` and ``is_current`` (1 or 0); no row means never signed.
    """
    return case(
        (signature.c.user_id.is_(None), NOT_SIGNED),
        (signature.c.is_current == 1, SIGNED_CURRENT),
        else_=SIGNED_OLDER,
    )
