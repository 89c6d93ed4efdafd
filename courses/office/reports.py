"""Progress reports for the office: per course and per person (their exports: ``progress_export``).

Every report is a fixed number of aggregate queries whatever the number of people: the state
("overdue" …) and the attempt counts are computed in SQL, pages are cut by LIMIT/OFFSET, and
exports stream rows from a server-side cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from courses.models import Course, CourseStatus, Enrolment, EnrolmentStatus, QuizAttempt
from lms.database import localized, utcnow
from lms.models import OrgUnit, User
from lms.permissions import people_in_scope

OVERDUE = "overdue"
#: The states a report shows, in the order of a learner's path; "overdue" is computed, not stored.
STATES = (
    EnrolmentStatus.NOT_STARTED.value,
    EnrolmentStatus.IN_PROGRESS.value,
    OVERDUE,
    EnrolmentStatus.COMPLETED.value,
    EnrolmentStatus.CANCELLED.value,
)
STATE_LABELS = {
    EnrolmentStatus.NOT_STARTED.value: _l("not started"),
    EnrolmentStatus.IN_PROGRESS.value: _l("in progress"),
    OVERDUE: _l("overdue"),
    EnrolmentStatus.COMPLETED.value: _l("completed"),
    EnrolmentStatus.CANCELLED.value: _l("cancelled"),
}


@dataclass(frozen=True)
class ProgressFilters:
    """What the office narrowed a report to, and the scope the viewer may see."""

    unit_id: int | None = None
    sub_units: bool = True
    group: str | None = None
    kind: str | None = None
    status: str | None = None
    search: str | None = None
    #: Org-unit paths the viewer may see (``lms.permissions.scope_paths``); ``None`` for all.
    scope: list[str] | None = None


def state_expr(now: datetime) -> ColumnElement[str]:
    """An enrolment's state as the office reads it: overdue when due before ``now`` and not finished."""
    return case(
        (Enrolment.status == EnrolmentStatus.COMPLETED, EnrolmentStatus.COMPLETED.value),
        (Enrolment.status == EnrolmentStatus.CANCELLED, EnrolmentStatus.CANCELLED.value),
        (and_(Enrolment.due_at.is_not(None), Enrolment.due_at < now), OVERDUE),
        else_=Enrolment.status,
    )


def _people_conditions(filters: ProgressFilters) -> list[ColumnElement[bool]]:
    conditions = []
    if filters.scope is not None:
        conditions.append(people_in_scope(filters.scope))
    if filters.unit_id:
        if filters.sub_units:
            root = aliased(OrgUnit)
            root_path = select(root.path).where(root.id == filters.unit_id).correlate(None).scalar_subquery()
            conditions.append(User.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(root_path))))
        else:
            conditions.append(User.org_unit_id == filters.unit_id)
    if filters.group:
        conditions.append(User.study_group == filters.group)
    if filters.kind:
        conditions.append(User.kind == filters.kind)
    if filters.search:
        needle = f"%{filters.search.strip().lower()}%"
        conditions.append(or_(func.lower(User.full_name).like(needle), User.email.like(needle)))
    return conditions


def latest_cycle() -> ColumnElement[bool]:
    """Only each person's current cycle of a course (older cycles are history, shown per person).

    ``later.cycle > 1`` follows from ``later.cycle > Enrolment.cycle`` but lets PostgreSQL hash only
    the enrolments past their first cycle (a few percent) instead of every one: at 300,000
    enrolments that was a third of the dashboard's time (``python -m bench dashboard``).
    """
    later = aliased(Enrolment)
    return ~exists().where(
        later.user_id == Enrolment.user_id,
        later.course_slug == Enrolment.course_slug,
        later.cycle > Enrolment.cycle,
        later.cycle > 1,
    )


def _attempt_counts(slug: str | None = None, user_id: int | None = None):
    """Submitted attempts per enrolment, as a subquery to join."""
    query = (
        select(QuizAttempt.enrolment_id, func.count().label("attempts"))
        .join(Enrolment, Enrolment.id == QuizAttempt.enrolment_id)
        .where(QuizAttempt.submitted_at.is_not(None))
        .group_by(QuizAttempt.enrolment_id)
    )
    if slug is not None:
        query = query.where(Enrolment.course_slug == slug)
    if user_id is not None:
        query = query.where(Enrolment.user_id == user_id)
    return query.subquery()


def course_progress_query(slug: str, filters: ProgressFilters, now: datetime | None = None) -> Select:
    """One row per person enrolled in ``slug`` (their current cycle), with state, score and attempts."""
    state = state_expr(now or utcnow()).label("state")
    attempts = _attempt_counts(slug=slug)
    query = (
        select(
            Enrolment.id.label("enrolment_id"),
            Enrolment.user_id,
            User.full_name,
            User.email,
            User.kind,
            User.study_group,
            OrgUnit.code.label("unit_code"),
            OrgUnit.name.label("unit_name"),
            Course.version,
            Enrolment.cycle,
            state,
            Enrolment.enrolled_at,
            Enrolment.due_at,
            Enrolment.started_at,
            Enrolment.completed_at,
            Enrolment.score,
            func.coalesce(attempts.c.attempts, 0).label("attempts"),
        )
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .outerjoin(attempts, attempts.c.enrolment_id == Enrolment.id)
        .where(Enrolment.course_slug == slug, latest_cycle(), *_people_conditions(filters))
        .order_by(User.full_name, User.id)
    )
    if filters.status:
        query = query.where(state_expr(now or utcnow()) == filters.status)
    return query


def course_summary(session: Session, slug: str, filters: ProgressFilters, now: datetime | None = None) -> dict:
    """Counts per state and the average score of the completed, over the filtered people (one query)."""
    state = state_expr(now or utcnow())
    columns = [func.count().label("enrolled")]
    columns += [func.coalesce(func.sum(case((state == s, 1), else_=0)), 0).label(s) for s in STATES]
    columns.append(func.avg(case((Enrolment.status == EnrolmentStatus.COMPLETED, Enrolment.score))).label("avg_score"))
    row = session.execute(
        select(*columns)
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.course_slug == slug, latest_cycle(), *_people_conditions(filters))
    ).one()
    summary = dict(row._mapping)
    summary["avg_score"] = round(float(summary["avg_score"])) if summary["avg_score"] is not None else None
    return summary


def courses_overview(session: Session, scope: list[str] | None, locale: str, now: datetime | None = None) -> list[dict]:
    """Every course that is published or has enrolments, with counts per state (two queries)."""
    state = state_expr(now or utcnow())
    counts = {
        row.course_slug: row._mapping
        for row in session.execute(
            select(
                Enrolment.course_slug,
                func.count().label("enrolled"),
                *(func.coalesce(func.sum(case((state == s, 1), else_=0)), 0).label(s) for s in STATES),
            )
            .join(User, User.id == Enrolment.user_id)
            .where(latest_cycle(), *_people_conditions(ProgressFilters(scope=scope)))
            .group_by(Enrolment.course_slug)
        )
    }
    newest = aliased(Course)
    courses = session.execute(
        select(Course.slug, Course.title, Course.version, Course.status)
        .where(~exists().where(newest.slug == Course.slug, newest.version > Course.version))
        .order_by(Course.slug)
    ).all()
    overview = []
    for course in courses:
        if course.slug not in counts and course.status != CourseStatus.PUBLISHED:
            continue
        row = counts.get(course.slug, {})
        overview.append(
            {
                "slug": course.slug,
                "title": localized(course.title, locale)[0] or course.slug,
                "version": course.version,
                "status": course.status,
                "enrolled": row.get("enrolled", 0),
                **{s: row.get(s, 0) for s in STATES},
            }
        )
    return overview


def person_progress_query(user_id: int, now: datetime | None = None) -> Select:
    """Every enrolment of one person, every cycle, newest first, with state and attempts."""
    attempts = _attempt_counts(user_id=user_id)
    return (
        select(
            Enrolment.id.label("enrolment_id"),
            Enrolment.course_slug,
            Course.title,
            Course.version,
            Enrolment.cycle,
            state_expr(now or utcnow()).label("state"),
            Enrolment.enrolled_at,
            Enrolment.due_at,
            Enrolment.started_at,
            Enrolment.completed_at,
            Enrolment.valid_until,
            Enrolment.score,
            func.coalesce(attempts.c.attempts, 0).label("attempts"),
        )
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(attempts, attempts.c.enrolment_id == Enrolment.id)
        .where(Enrolment.user_id == user_id)
        .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc())
    )


class RowPagination(Pagination):
    """``db.paginate`` for selects of several columns (Flask-SQLAlchemy's keeps only the first)."""

    def _query_items(self) -> list:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query))

    def _query_count(self) -> int:
        query = self._query_args["select"].order_by(None)
        return self._query_args["session"].scalar(select(func.count()).select_from(query.subquery())) or 0


def paginate_rows(session: Session, query: Select, per_page: int = 50) -> RowPagination:
    """A page of ``query``'s rows (page number from the request's ``page`` argument): two queries."""
    return RowPagination(select=query, session=session, per_page=per_page, max_per_page=200)


# Exports ---------------------------------------------------------------------------------------


def unit_namer(locale: str):
    """A function naming a row's org unit in ``locale``, each unit worked out once per export."""
    names: dict[str | None, str] = {}

    def name(code: str | None, texts: dict | None) -> str:
        if code not in names:
            names[code] = localized(texts, locale)[0] or code or ""
        return names[code]

    return name
