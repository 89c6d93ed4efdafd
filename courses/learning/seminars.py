"""Seminar modules: a course step done by attending an event, not by anything clicked in the course.

``courses`` knows nothing of events. The events package tells it two things: who attended
(:func:`record_attendance`, called when a ticket is checked in) and, through the directory it
registers in its ``init_app``, which events an author may link and what the learner is shown.
A module's ``settings`` hold ``{"event_id": N}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from courses.learning.progress import check_completion, progress_row, visit
from courses.models import Course, Enrolment, EnrolmentStatus, Module, ModuleKind
from lms.audit import trail
from lms.database import as_utc, utcnow


@dataclass(frozen=True)
class EventDirectory:
    """What the events package answers about its events, in the reader's language."""

    #: ``(event_id, title)`` of the events a seminar module may link.
    choices: Callable[[Session, str], list[tuple[int, str]]]
    #: ``{"title", "url", "sessions": [datetime, …]}`` of one event, or ``None`` if it is gone.
    describe: Callable[[Session, int, str], dict | None]
    #: When ``user_id`` last attended ``event_id`` (their latest check-in), or ``None``.
    attended_at: Callable[[Session, int, int], datetime | None]


def register_event_directory(app: Flask, directory: EventDirectory) -> None:
    app.extensions["courses.event_directory"] = directory


def event_directory() -> EventDirectory | None:
    return current_app.extensions.get("courses.event_directory")


def linked_event_id(module: Module) -> int | None:
    value = (module.settings or {}).get("event_id")
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


def _open_enrolments(session: Session, user_id: int) -> list[Enrolment]:
    return list(
        session.scalars(
            select(Enrolment)
            .where(
                Enrolment.user_id == user_id,
                Enrolment.status.in_((EnrolmentStatus.NOT_STARTED, EnrolmentStatus.IN_PROGRESS)),
            )
            .options(selectinload(Enrolment.course).selectinload(Course.modules))
        )
    )


def complete_seminar(session: Session, enrolment: Enrolment, module: Module, attended_at: datetime) -> None:
    """Mark one seminar module done as of ``attended_at`` and complete the course if it was the last step."""
    row = progress_row(session, enrolment, module)
    if row.completed_at is not None:
        return
    visit(enrolment, module, attended_at)
    row.completed_at = attended_at
    trail.record(
        session, "course.seminar_attended", enrolment, details={"course": enrolment.course_slug, "module": module.key}
    )
    check_completion(session, enrolment, utcnow())


def record_attendance(session: Session, user_id: int, event_id: int, attended_at: datetime) -> list[Enrolment]:
    """``user_id`` attended ``event_id``: every open course of theirs with a seminar module linking it
    counts that step done. Returns the enrolments touched (flushes; the caller commits)."""
    touched = []
    for enrolment in _open_enrolments(session, user_id):
        for module in enrolment.course.modules:
            if module.kind == ModuleKind.SEMINAR and linked_event_id(module) == event_id:
                complete_seminar(session, enrolment, module, attended_at)
                touched.append(enrolment)
    return touched


def catch_up(session: Session, enrolment: Enrolment, module: Module) -> bool:
    """A person who attended before the course was given to them: count the seminar when they open it
    (on a first cycle; a recertification counts only attendance since it began)."""
    directory = event_directory()
    event_id = linked_event_id(module)
    if directory is None or event_id is None or enrolment.status == EnrolmentStatus.COMPLETED:
        return False
    attended_at = directory.attended_at(session, enrolment.user_id, event_id)
    if attended_at is None or (enrolment.cycle > 1 and as_utc(attended_at) < as_utc(enrolment.enrolled_at)):
        return False  # a recertification needs this cycle's attendance, not last year's
    complete_seminar(session, enrolment, module, attended_at)
    return True
