"""Enrolling the audiences of assignments: once per cycle, new cycles when a completion expires.

Everything here is set-based: enrolling 30,000 people is two INSERT … SELECT statements per
assignment, whatever the number of people. Existing enrolments are never moved to a newer course
version, so a learner in progress keeps the version they started.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import DateTime, Integer, String, false, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.expression import FunctionElement

from courses.audience.rules import audience_user_ids
from courses.models import OPEN_STATUSES, Assignment, Course, CourseStatus, Enrolment, EnrolmentStatus
from lms.database import as_utc, utcnow
from lms.models import User

log = logging.getLogger(__name__)

#: A renewal with an absolute due date already past gets at least this long.
MIN_RENEWAL_DAYS = 7
#: People per statement when enrolling an import (keeps IN lists under SQLite's variable limit).
IMPORT_CHUNK = 5000


class add_months(FunctionElement):
    """``timestamp + n months`` in the dialect's own words (SQLite has no interval type)."""

    type = DateTime(timezone=True)
    name = "add_months"
    inherit_cache = True


@compiles(add_months, "postgresql")
def _add_months_postgresql(element, compiler, **kw):
    when, months = list(element.clauses)
    return f"({compiler.process(when, **kw)} + make_interval(months => {compiler.process(months, **kw)}))"


@compiles(add_months, "sqlite")
def _add_months_sqlite(element, compiler, **kw):
    when, months = list(element.clauses)
    return (
        f"strftime('%Y-%m-%d %H:%M:%f', {compiler.process(when, **kw)}, "
        f"'+' || {compiler.process(months, **kw)} || ' months')"
    )


def latest_published_course_id(session: Session, slug: str) -> int | None:
    """The id of the newest published version of a course: what new enrolments take."""
    return session.scalar(
        select(Course.id)
        .where(Course.slug == slug, Course.status == CourseStatus.PUBLISHED)
        .order_by(Course.version.desc())
        .limit(1)
    )


def first_due_at(assignment: Assignment, now: datetime) -> datetime | None:
    """The due date of a first enrolment: the absolute date, or N days after enrolment."""
    if assignment.due_date is not None:
        return as_utc(assignment.due_date)
    if assignment.due_days is not None:
        return now + timedelta(days=assignment.due_days)
    return None


def renewal_due_at(assignment: Assignment, now: datetime) -> datetime | None:
    """The due date of a later cycle: N days after it opens, or a future absolute date.

    An absolute date already past gives the renewal as long as the first cycle had (at least a week).
    """
    if assignment.due_days is not None:
        return now + timedelta(days=assignment.due_days)
    due = as_utc(assignment.due_date)
    if due is None:
        return None
    if due > now:
        return due
    span = max(due - as_utc(assignment.created_at), timedelta(days=MIN_RENEWAL_DAYS))
    return now + span


def _holds_current_enrolment(assignment: Assignment, now: datetime):
    """True for an enrolment that keeps its holder out of a new cycle: open, or completed and still valid."""
    if assignment.recurrence_months:
        expires = func.coalesce(Enrolment.valid_until, add_months(Enrolment.completed_at, assignment.recurrence_months))
        expired = expires <= now
    else:
        expired = false()
    return Enrolment.status.in_(OPEN_STATUSES) | ((Enrolment.status == EnrolmentStatus.COMPLETED) & ~expired)


def enrol_assignment(
    session: Session, assignment: Assignment, user_ids: list[int] | None = None, now: datetime | None = None
) -> int:
    """Enrol the assignment's audience (or those of ``user_ids`` in it) not yet enrolled in their current cycle.

    People never enrolled in the course start cycle 1; people whose last completion expired (or
    whose enrolment was cancelled) start the next cycle. Returns how many enrolments were made.
    """
    now = now or utcnow()
    slug = assignment.course_slug
    course_id = latest_published_course_id(session, slug)
    if course_id is None or not assignment.active:
        return 0
    people = audience_user_ids(assignment.audience)
    if user_ids is not None:
        people = people.where(User.id.in_(user_ids))

    mine = select(Enrolment.id).where(Enrolment.user_id == User.id, Enrolment.course_slug == slug)
    current = mine.where(_holds_current_enrolment(assignment, now))
    newcomers = people.where(~mine.exists())
    returners = people.where(mine.exists(), ~current.exists())
    previous = aliased(Enrolment)
    next_cycle = (
        select(func.max(previous.cycle) + 1)
        .where(previous.user_id == User.id, previous.course_slug == slug)
        .scalar_subquery()
    )
    made = _insert_enrolments(
        session,
        assignment,
        course_id,
        newcomers,
        cycle=literal(1, Integer),
        due_at=first_due_at(assignment, now),
        now=now,
    )
    made += _insert_enrolments(
        session, assignment, course_id, returners, cycle=next_cycle, due_at=renewal_due_at(assignment, now), now=now
    )
    return made


def _insert_enrolments(session, assignment, course_id, people, *, cycle, due_at, now) -> int:
    """One INSERT … SELECT of enrolments for the people of ``people`` (a select of user ids)."""
    values = {
        "user_id": User.id,
        "course_id": literal(course_id, Integer),
        "course_slug": literal(assignment.course_slug, String),
        "assignment_id": literal(assignment.id, Integer),
        "cycle": cycle,
        "status": literal(EnrolmentStatus.NOT_STARTED.value, String),
        "enrolled_at": literal(now, DateTime(timezone=True)),
    }
    if due_at is not None:
        values["due_at"] = literal(due_at, DateTime(timezone=True))
    rows = people.with_only_columns(*values.values())
    # Another process (the scheduler, an import) may enrol the same person at the same moment:
    # the unique (user, course, cycle) key decides, and the loser skips the row instead of failing.
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Enrolment.__table__).from_select(list(values), rows).on_conflict_do_nothing()
    # psycopg reports -1 for an INSERT … SELECT unless asked to keep the count
    result = session.execute(statement.execution_options(preserve_rowcount=True))
    return result.rowcount or 0


def sync_assignments(session: Session, user_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Enrol every active assignment's audience as it is now; the scheduler's job and the import hook."""
    now = now or utcnow()
    session.flush()
    made = 0
    for assignment in session.scalars(select(Assignment).where(Assignment.active.is_(True)).order_by(Assignment.id)):
        made += enrol_assignment(session, assignment, user_ids=user_ids, now=now)
    return made


def end_assignment(session: Session, assignment: Assignment, now: datetime | None = None) -> int:
    """Un-assign: stop enrolling and cancel its unfinished enrolments; completions stay as history.

    Returns how many enrolments were cancelled.
    """
    assignment.active = False
    assignment.ended_at = now or utcnow()
    return Enrolment.cancel_open(session, Enrolment.assignment_id == assignment.id)


def run_sync_job() -> None:
    """The scheduled job: enrol whoever joined an audience since the last run, then commit."""
    from lms.extensions import db

    made = sync_assignments(db.session)
    db.session.commit()
    if made:
        log.info("assignments sync: %d new enrolments", made)


def enrol_changed_people(sender: Flask, session: Session, user_ids: list[int], **_extra) -> None:
    """``people_changed`` receiver: enrol imported or updated people at once, in the import's transaction."""
    ids = list(user_ids or [])
    for start in range(0, len(ids), IMPORT_CHUNK):
        sync_assignments(session, user_ids=ids[start : start + IMPORT_CHUNK])


#: The demo assigns each bundled course to the people its ``audience`` hint names.
DEMO_AUDIENCES = {"all": {"kind": "all"}, "staff": {"kind": "staff"}, "students": {"kind": "students"}}
DEMO_DUE_DAYS = 30


def seed_demo_assignments(session: Session) -> None:
    """The demo: every published course assigned to its intended people, due in a month, then enrolled."""
    if session.scalar(select(Assignment.id).limit(1)) is not None:
        return
    newest = aliased(Course)
    courses = session.scalars(
        select(Course)
        .where(
            Course.status == CourseStatus.PUBLISHED,
            ~select(newest.id)
            .where(newest.slug == Course.slug, newest.status == CourseStatus.PUBLISHED, newest.version > Course.version)
            .exists(),
        )
        .order_by(Course.slug)
    )
    for course in courses:
        session.add(
            Assignment(
                course_slug=course.slug,
                audience=DEMO_AUDIENCES.get(course.audience_hint, DEMO_AUDIENCES["all"]),
                due_days=DEMO_DUE_DAYS,
                recurrence_months=course.validity_months,
            )
        )
    session.flush()
    sync_assignments(session)


def init_app(app: Flask) -> None:
    """Sync assignments every minute in the scheduler, and enrol imported people at once."""
    from lms.scheduler import register_job
    from lms.signals import people_changed

    register_job(app, "courses.sync_assignments", run_sync_job, seconds=60)
    people_changed.connect(enrol_changed_people, sender=app)
