"""A learner's way through a course: lessons read, documents signed, remedial reading, completion."""

from __future__ import annotations

import calendar
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from courses.contact_placeholders import with_office_contacts
from courses.learning import grading
from courses.models import (
    Attestation,
    Course,
    Enrolment,
    Module,
    ModuleKind,
    ModuleProgress,
)
from lms.audit import trail
from lms.database import as_utc, localized, utcnow
from lms.signals import course_completed

#: What "My learning" shows, beyond the stored statuses: a due date passed before completion.
OVERDUE = "overdue"


class ProgressError(Exception):
    """A step the learner may not take now, with the message to show them."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus ``months`` calendar months, on the last day when the month is shorter."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def display_status(enrolment: Enrolment, now: datetime | None = None) -> str:
    """The status to show: the stored one, or ``overdue`` when the due date passed first."""
    if not enrolment.is_open:
        return enrolment.status
    due = as_utc(enrolment.due_at)
    if due is not None and due < (now or utcnow()):
        return OVERDUE
    return enrolment.status


def pick_text(texts: dict | None, locale: str, default_locale: str) -> tuple[str, str | None]:
    """A translated text in ``locale``, else in the course's default language, else any.

    Returns the text (the office's contacts filled in) and the locale it is in, so the page can note a fallback.
    """
    texts = texts or {}
    for candidate in (locale, default_locale):
        if texts.get(candidate):
            return with_office_contacts(texts[candidate], candidate), candidate
    text, shown = localized(texts, locale)
    return with_office_contacts(text, shown or locale), shown


def progress_row(session: Session, enrolment: Enrolment, module: Module) -> ModuleProgress:
    """The learner's row for one module, made on first use."""
    row = session.scalars(
        select(ModuleProgress).filter_by(enrolment_id=enrolment.id, module_id=module.id)
    ).one_or_none()
    if row is None:
        row = ModuleProgress(enrolment_id=enrolment.id, module_id=module.id, failures=0)
        session.add(row)
        session.flush()
    return row


def visit(enrolment: Enrolment, module: Module, now: datetime | None = None) -> None:
    """Remember where the learner is (to resume there) and that they have started."""
    enrolment.last_module_id = module.id
    enrolment.start(now)


def remedial_lesson(course: Course, quiz: Module) -> Module | None:
    """The lesson to re-read after repeated failures: the quiz's ``remedial_module`` or the lesson before it."""
    if not course.remedial_after_failures:
        return None
    key = (quiz.settings or {}).get("remedial_module")
    if key:
        return next((m for m in course.modules if m.key == key), None)
    earlier = [m for m in course.modules if m.position < quiz.position and m.kind == ModuleKind.LESSON]
    return earlier[-1] if earlier else None


def remedial_due(course: Course, quiz: Module, failures: int) -> Module | None:
    """The lesson the learner must re-read before the next attempt, once ``failures`` reached the limit."""
    if not course.remedial_after_failures or failures < course.remedial_after_failures:
        return None
    return remedial_lesson(course, quiz)


def mark_lesson_read(session: Session, enrolment: Enrolment, module: Module, now: datetime | None = None) -> None:
    """Record a lesson as read; re-reading it clears the remedial block of the quizzes that point to it."""
    now = now or utcnow()
    visit(enrolment, module, now)
    row = progress_row(session, enrolment, module)
    row.completed_at = row.completed_at or now
    course = enrolment.course
    for quiz in course.modules:
        if quiz.kind == ModuleKind.QUIZ and remedial_lesson(course, quiz) is module:
            session.execute(
                update(ModuleProgress)
                .where(ModuleProgress.enrolment_id == enrolment.id, ModuleProgress.module_id == quiz.id)
                .values(failures=0)
            )
    check_completion(session, enrolment, now)


def record_quiz_result(
    session: Session, enrolment: Enrolment, module: Module, *, passed: bool, kept: int | None, pass_mark: int, now
) -> None:
    """After an attempt was graded: keep the score the rule keeps, count a failure, maybe complete."""
    row = progress_row(session, enrolment, module)
    row.score = kept
    if not passed:
        row.failures += 1
    row.completed_at = (row.completed_at or now) if grading.is_passed(kept, pass_mark) else None
    check_completion(session, enrolment, now)


def document(module: Module, locale: str, default_locale: str) -> tuple[str, str | None]:
    """An attestation's document text as shown to the learner, and its locale."""
    return pick_text(module.body, locale, default_locale)


def document_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_version(module: Module) -> str:
    return str((module.settings or {}).get("document_version") or "1")


def _reading_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="courses.attestation-reading")


def reading_token(enrolment: Enrolment, module: Module) -> str:
    """A signed note of when the document was shown, returned with the acceptance."""
    return _reading_serializer().dumps([enrolment.id, module.id, document_version(module)])


def reading_started_at(token: str, enrolment: Enrolment, module: Module) -> datetime | None:
    """When the document was shown, if ``token`` is genuine and for this document."""
    try:
        data, signed_at = _reading_serializer().loads(token, return_timestamp=True)
    except (BadSignature, TypeError, ValueError):
        return None
    return signed_at if data == [enrolment.id, module.id, document_version(module)] else None


def accept_attestation(
    session: Session,
    enrolment: Enrolment,
    module: Module,
    *,
    locale: str,
    shown_at: datetime | None,
    now: datetime | None = None,
) -> Attestation:
    """Sign the document as shown: its version, its SHA-256 and the time; refused before the reading time."""
    now = now or utcnow()
    if shown_at is None:
        raise ProgressError(_l("The page was out of date. Please read the document again and accept it."))
    min_reading = int((module.settings or {}).get("min_reading_s") or 0)
    if (now - as_utc(shown_at)).total_seconds() < min_reading:
        raise ProgressError(_l("Please take the time to read the whole document before accepting it."))
    version = document_version(module)
    if signed_version(session, enrolment, module) == version:
        raise ProgressError(_l("You have already accepted this version of the document."))
    text, text_locale = document(module, locale, enrolment.course.default_locale)
    attestation = Attestation(
        enrolment_id=enrolment.id,
        user_id=enrolment.user_id,
        module_id=module.id,
        document_version=version,
        document_sha256=document_sha256(text),
        locale=text_locale or locale,
        accepted_at=now,
    )
    session.add(attestation)
    visit(enrolment, module, now)
    progress_row(session, enrolment, module).completed_at = now
    session.flush()
    trail.record(
        session,
        "course.attestation_accepted",
        attestation,
        details={"version": version, "sha256": attestation.document_sha256, "module": module.key},
    )
    check_completion(session, enrolment, now)
    return attestation


def signed_version(session: Session, enrolment: Enrolment, module: Module) -> str | None:
    """The document version this enrolment signed for the module if it is the current one."""
    versions = session.scalars(
        select(Attestation.document_version).filter_by(enrolment_id=enrolment.id, module_id=module.id)
    ).all()
    current = document_version(module)
    return current if current in versions else (versions[-1] if versions else None)


def signed_on(session: Session, enrolment: Enrolment, module: Module) -> date | None:
    """The day, in the university's time zone, this enrolment last accepted the module's document
    (so the learner can read the regulatory document as it stood then)."""
    accepted = session.scalar(
        select(func.max(Attestation.accepted_at)).filter_by(enrolment_id=enrolment.id, module_id=module.id)
    )
    return as_utc(accepted).astimezone(ZoneInfo(current_app.config["ADAL_TIMEZONE"])).date() if accepted else None


@dataclass
class CourseProgress:
    """What is done in one enrolment: module ids done, kept quiz scores, failures."""

    done: set[int]
    scores: dict[int, int | None]
    failures: dict[int, int]

    def percent(self, modules: Sequence[Module]) -> int:
        required = [m for m in modules if m.required]
        if not required:
            return 100
        return int(100 * sum(1 for m in required if m.id in self.done) / len(required))

    def next_module(self, modules: Sequence[Module]) -> Module | None:
        """The first required module not done, else the first not done."""
        todo = [m for m in modules if m.id not in self.done]
        return next((m for m in todo if m.required), todo[0] if todo else None)


def course_progress(session: Session, enrolments: Sequence[Enrolment]) -> dict[int, CourseProgress]:
    """Progress of many enrolments in two queries (their courses' modules must be loaded)."""
    ids = [e.id for e in enrolments]
    result = {e.id: CourseProgress(set(), {}, {}) for e in enrolments}
    if not ids:
        return result
    signed = defaultdict(set)
    for enrolment_id, module_id, version in session.execute(
        select(Attestation.enrolment_id, Attestation.module_id, Attestation.document_version).where(
            Attestation.enrolment_id.in_(ids)
        )
    ):
        signed[enrolment_id].add((module_id, version))
    rows = session.execute(
        select(
            ModuleProgress.enrolment_id,
            ModuleProgress.module_id,
            ModuleProgress.completed_at,
            ModuleProgress.score,
            ModuleProgress.failures,
        ).where(ModuleProgress.enrolment_id.in_(ids))
    )  # plain rows: entities cost twice as much to load, and nothing here changes them
    by_enrolment = defaultdict(dict)
    for row in rows:
        by_enrolment[row.enrolment_id][row.module_id] = row
    for enrolment in enrolments:
        progress = result[enrolment.id]
        for module in enrolment.course.modules:
            row = by_enrolment[enrolment.id].get(module.id)
            if module.kind == ModuleKind.ATTESTATION:
                done = (module.id, document_version(module)) in signed[enrolment.id]
            else:
                done = row is not None and row.completed_at is not None
            if done:
                progress.done.add(module.id)
            if row is not None:
                progress.scores[module.id] = row.score
                progress.failures[module.id] = row.failures
    return result


def check_completion(session: Session, enrolment: Enrolment, now: datetime | None = None) -> bool:
    """Complete the enrolment when every required module is done; audits and fires ``course_completed`` once.

    ``Enrolment.complete`` records it once even when two requests finish it together.
    """
    if not enrolment.is_open:
        return False
    session.flush()
    modules = enrolment.course.modules
    progress = course_progress(session, [enrolment])[enrolment.id]
    if any(m.required and m.id not in progress.done for m in modules):
        return False
    now = now or utcnow()
    score = grading.course_score([progress.scores.get(m.id) for m in modules if m.kind == ModuleKind.QUIZ])
    months = enrolment.course.validity_months
    if not enrolment.complete(now, score, add_months(now, months) if months else None):
        return False
    trail.record(session, "course.completed", enrolment, details={"course": enrolment.course_slug, "score": score})
    course_completed.send(current_app._get_current_object(), session=session, enrolment=enrolment)
    return True
