"""The signature register: who must sign an attested document, in which state each is, counted and exported.

Who must sign: every active person whose current cycle of the course is not cancelled — the people
the progress pages list, less the un-assigned and the deactivated. Their states (signed the current
version, only older ones, or none) and the signature that counts come from ``documents``; a page,
the counts or a 50,000-row export is a fixed number of queries whatever the number of people.
The same signature is joined to other lists of enrolments (the progress export) and shown on a
person's page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from courses.models import Attestation, Course, Enrolment, EnrolmentStatus, Module
from courses.office.reports import latest_cycle, unit_namer
from courses.signatures.documents import (
    NOT_SIGNED,
    SIGNED_CURRENT,
    SIGNED_OLDER,
    STATE_LABELS,
    STATES,
    current_documents,
    latest_signatures,
    state_expr,
)
from lms.database import localized
from lms.exports import wall_time
from lms.i18n import LANGUAGE_NAMES, local_date
from lms.models import OrgUnit, User
from lms.permissions import people_in_scope


@dataclass(frozen=True)
class SignatureFilters:
    """What the register is narrowed to, and the scope the viewer may see."""

    state: str | None = None
    #: People of this unit and its sub-units.
    unit_id: int | None = None
    search: str | None = None
    #: Org-unit paths the viewer may see (``lms.permissions.scope_paths``); ``None`` for all.
    scope: list[str] | None = None


# The register ----------------------------------------------------------------------------------


def _must_sign(slug: str) -> list[ColumnElement[bool]]:
    """Conditions on ``Enrolment`` and ``User`` for the people who must sign ``slug``'s documents."""
    return [
        Enrolment.course_slug == slug,
        latest_cycle(),
        Enrolment.status != EnrolmentStatus.CANCELLED,
        User.active.is_(True),
    ]


def _in_unit(unit_id: int) -> ColumnElement[bool]:
    """People of the unit and its sub-units, the unit's path read in the same query."""
    root = aliased(OrgUnit)
    root_path = select(root.path).where(root.id == unit_id).correlate(None).scalar_subquery()
    return User.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(root_path)))


def _matches(search: str) -> ColumnElement[bool]:
    """A name or e-mail containing ``search``.

    SQLite folds only ASCII case, so a Cyrillic name is also tried as typed and capitalised.
    """
    text = search.strip()
    names = [User.full_name.icontains(v, autoescape=True) for v in {text, text.lower(), text.title()}]
    return or_(*names, User.email.contains(text.lower(), autoescape=True))


def _people_conditions(filters: SignatureFilters) -> list[ColumnElement[bool]]:
    conditions = [people_in_scope(filters.scope)]
    if filters.unit_id:
        conditions.append(_in_unit(filters.unit_id))
    if filters.search and filters.search.strip():
        conditions.append(_matches(filters.search))
    return conditions


def register_query(slug: str, key: str, filters: SignatureFilters) -> Select:
    """One row per person who must sign the document, with their state and the signature that counts."""
    signature = latest_signatures(slug, key)
    state = state_expr(signature)
    query = (
        select(
            User.id.label("user_id"),
            User.full_name,
            User.email,
            OrgUnit.code.label("unit_code"),
            OrgUnit.name.label("unit_name"),
            state.label("state"),
            signature.c.version,
            signature.c.accepted_at,
            signature.c.locale,
            signature.c.sha256,
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .outerjoin(signature, signature.c.user_id == Enrolment.user_id)
        .where(*_must_sign(slug), *_people_conditions(filters))
        .order_by(User.full_name, User.id)
    )
    if filters.state in STATES:
        query = query.where(state == filters.state)
    return query


def signature_counts(
    session: Session, slug: str, module_key: str, scope: list[str] | None, unit_id: int | None = None
) -> dict[str, int]:
    """How many people who must sign the document are in each state, and ``total`` (one query).

    Counting needs only whether each person signed the current version, so a GROUP BY per person
    stands in for the register's window (which also finds the signature to show).
    """
    doc = current_documents()
    signed = (
        select(
            Attestation.user_id,
            func.max(case((Attestation.document_version == doc.c.version, 1), else_=0)).label("is_current"),
        )
        .join(Module, Module.id == Attestation.module_id)
        .join(Course, Course.id == Module.course_id)
        .join(doc, and_(doc.c.slug == Course.slug, doc.c.key == Module.key))
        .where(Course.slug == slug, Module.key == module_key)
        .group_by(Attestation.user_id)
        .subquery("signed")
    )
    state = state_expr(signed)
    columns = [func.count().label("total")]
    columns += [func.coalesce(func.sum(case((state == s, 1), else_=0)), 0).label(s) for s in STATES]
    row = session.execute(
        select(*columns)
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(signed, signed.c.user_id == Enrolment.user_id)
        .where(*_must_sign(slug), *_people_conditions(SignatureFilters(unit_id=unit_id, scope=scope)))
    ).one()
    return {name: int(value) for name, value in row._mapping.items()}


# Exports ---------------------------------------------------------------------------------------

REGISTER_COLUMNS = (
    ("full_name", _l("Name")),
    ("email", _l("E-mail")),
    ("unit", _l("Org unit")),
    ("state", _l("Signature")),
    ("version", _l("Version signed")),
    ("accepted_at", _l("Signed")),
    ("locale", _l("Language")),
    ("sha256", _l("SHA-256 of the text signed")),
)
EXPORT_BATCH = 1000


def register_header() -> list[str]:
    return [str(label) for _key, label in REGISTER_COLUMNS]


def register_records(session: Session, query: Select, locale: str) -> Iterator[list]:
    """The register's rows as export cells: translated states and unit names, local times, streamed."""
    zone = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
    states = {state: str(label) for state, label in STATE_LABELS.items()}  # translated once, not per row
    unit_name = unit_namer(locale)
    for row in session.execute(query.execution_options(yield_per=EXPORT_BATCH)):
        values = row._mapping
        cells = []
        for key, _label in REGISTER_COLUMNS:
            if key == "unit":
                cells.append(unit_name(values["unit_code"], values["unit_name"]))
            elif key == "state":
                cells.append(states[values["state"]])
            elif key == "accepted_at":
                cells.append(wall_time(values[key], zone))
            elif key == "locale":
                cells.append(LANGUAGE_NAMES.get(values[key], values[key]))
            else:
                cells.append(values[key])
        yield cells


def with_course_signature(query: Select) -> Select:
    """``query`` (rows of enrolments) with each person's signature of their course's attested document.

    The course's first document (by position) in its newest published version; adds ``document_title``,
    ``document_version`` (current), ``signature_state``, ``signed_version`` and ``signed_at``, all
    ``None`` for a course without a document. The join adds no query per row.
    """
    doc = current_documents()
    first = select(doc).where(doc.c.rank == 1).subquery("course_document")
    signature = latest_signatures()
    state = case(
        (first.c.key.is_(None), None),
        (signature.c.user_id.is_(None), NOT_SIGNED),
        (signature.c.is_current == 1, SIGNED_CURRENT),
        else_=SIGNED_OLDER,
    )
    return (
        query.outerjoin(first, first.c.slug == Enrolment.course_slug)
        .outerjoin(
            signature,
            and_(
                signature.c.user_id == Enrolment.user_id,
                signature.c.slug == first.c.slug,
                signature.c.key == first.c.key,
            ),
        )
        .add_columns(
            first.c.title.label("document_title"),
            first.c.version.label("document_version"),
            state.label("signature_state"),
            signature.c.version.label("signed_version"),
            signature.c.accepted_at.label("signed_at"),
        )
    )


def signature_cell(locale: str, zone: ZoneInfo) -> Callable[[dict], str]:
    """A function that words a row of ``with_course_signature`` for one export cell, in ``locale``.

    "Code of ethics: signed version 2026-1 on 18 Nov 2026"; empty for a course without a document.
    The words are made once per distinct (document, state, versions, day), not once per row: a
    50,000-row export holds a few hundred of them.
    """
    words: dict[tuple, str] = {}

    def cell(values) -> str:
        state = values["signature_state"]
        if state is None:
            return ""
        title = localized(values["document_title"], locale)[0]
        day = wall_time(values["signed_at"], zone).date() if values["signed_at"] is not None else None
        key = (title, state, values["signed_version"], values["document_version"], day)
        if key not in words:
            words[key] = _signature_words(title, state, values["signed_version"], values["document_version"], day)
        return words[key]

    return cell


def _signature_words(title: str, state: str, signed: str | None, current: str | None, day) -> str:
    if state == NOT_SIGNED:
        return _("%(document)s: not signed", document=title)
    when = local_date(day)  # a cell of the register: the short form
    if state == SIGNED_CURRENT:
        return _("%(document)s: signed version %(version)s on %(date)s", document=title, version=signed, date=when)
    return _(
        "%(document)s: signed an older version (%(version)s) on %(date)s; the current one is %(current)s",
        document=title,
        version=signed,
        date=when,
        current=current,
    )


# A person's signatures -------------------------------------------------------------------------


def person_signatures(session: Session, user_id: int) -> list:
    """Every signature of one person, newest first, in one query: for the person's page.

    Each row: the document (course slug and title, module key and title, course version, cycle), the
    signed ``version``, ``accepted_at``, ``locale``, ``sha256``, and ``is_current``;
    ``current_version`` is ``None`` for a document no published course holds any more.
    """
    doc = current_documents()
    return session.execute(
        select(
            Course.slug,
            Module.key,
            Module.title,
            Course.title.label("course_title"),
            Course.version.label("course_version"),
            Enrolment.cycle,
            Attestation.document_version.label("version"),
            Attestation.accepted_at,
            Attestation.locale,
            Attestation.document_sha256.label("sha256"),
            doc.c.version.label("current_version"),
            (Attestation.document_version == doc.c.version).label("is_current"),
        )
        .join(Module, Module.id == Attestation.module_id)
        .join(Course, Course.id == Module.course_id)
        .join(Enrolment, Enrolment.id == Attestation.enrolment_id)
        .outerjoin(doc, and_(doc.c.slug == Course.slug, doc.c.key == Module.key))
        .where(Attestation.user_id == user_id)
        .order_by(Attestation.accepted_at.desc(), Attestation.id.desc())
    ).all()
