"""The dashboard's numbers: completion per course and unit, the weekly trend, due dates, laggards.

Every figure is an aggregate in SQL over the current cycle of each person's enrolment, a fixed
number of queries whatever the number of people: counts per (course, org unit) come back in one
query and are summed up the unit tree in Python, because a university has hundreds of units but
tens of thousands of people.

What the numbers mean, so a test (or an auditor) can recompute them from the raw rows:

- *people*: active people with an enrolment in the course, its current (highest) cycle, not
  cancelled, enrolled before the end of the period, inside the viewer's scope and the unit filter;
- *completed*: of those, completed before the end of the period;
- *overdue*: of those, not completed by the end of the period (or now, if sooner) with a due
  date before it;
- *completed in the period*: completed between the period's start and its end;
- the weekly trend counts completions (every cycle, a recertification too) per week of the
  university's time zone, Monday to Sunday.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, literal, select, true
from sqlalchemy.orm import Session

from courses.models import OPEN_STATUSES, Assignment, Course, Enrolment, EnrolmentStatus
from courses.office.reports import latest_cycle
from lms.database import UTCDateTime, localized, utcnow
from lms.models import OrgUnit, User
from lms.permissions import people_in_scope

#: How far ahead "upcoming due dates" look.
UPCOMING_DAYS = 30
#: How many units the "furthest behind" list names.
BEHIND_COUNT = 5
#: The trend's length when the period has no start.
DEFAULT_WEEKS = 12
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class DashboardFilters:
    """What the page is narrowed to, and what the viewer may see."""

    #: Org-unit paths the viewer may see (``lms.permissions.scope_paths``); ``None`` for all.
    scope: list[str] | None = None
    #: A unit and its sub-units.
    unit_id: int | None = None
    #: The period, UTC: ``since`` inclusive, ``until`` exclusive (``None``: now).
    since: datetime | None = None
    until: datetime | None = None
    #: One course instead of every mandatory one.
    course: str | None = None

    def end(self, now: datetime) -> datetime:
        return min(self.until, now) if self.until else now

    def start(self, now: datetime, zone: ZoneInfo) -> datetime:
        """The period's start: as chosen, else the Monday ``DEFAULT_WEEKS`` weeks before its end."""
        return self.since or week_start(self.end(now) - DEFAULT_WEEKS * WEEK, zone)


@dataclass
class Tally:
    """Counts for a group of people in one course (or several courses added together)."""

    people: int = 0
    completed: int = 0
    overdue: int = 0
    completed_in_period: int = 0

    def add(self, other: Tally) -> None:
        self.people += other.people
        self.completed += other.completed
        self.overdue += other.overdue
        self.completed_in_period += other.completed_in_period

    @property
    def percent(self) -> float | None:
        """Share completed, 0–100; ``None`` for nobody (a bar of 0 % would say they all failed)."""
        return 100.0 * self.completed / self.people if self.people else None


@dataclass
class UnitTree:
    """Every org unit, read once, for rolling counts up to faculties and departments."""

    units: dict[int, OrgUnit]

    @classmethod
    def load(cls, session: Session) -> UnitTree:
        return cls({unit.id: unit for unit in session.scalars(select(OrgUnit).order_by(OrgUnit.path))})

    def children(self, unit_id: int | None) -> list[OrgUnit]:
        return [u for u in self.units.values() if u.parent_id == unit_id]

    def ancestors(self, unit: OrgUnit) -> list[OrgUnit]:
        """The units above ``unit``, from the top down."""
        ids = [int(part) for part in unit.path.strip("/").split("/") if part]
        return [self.units[i] for i in ids[:-1] if i in self.units]

    def contains(self, outer: OrgUnit, unit_id: int | None) -> bool:
        inner = self.units.get(unit_id) if unit_id is not None else None
        return inner is not None and inner.path.startswith(outer.path)


@dataclass
class CourseFigures:
    slug: str
    title: str
    total: Tally
    #: One row per unit shown (the unit filter's sub-units, or the faculties).
    by_unit: list[tuple[OrgUnit, Tally]]


@dataclass
class Trend:
    """Completions per week: ``weeks`` are the Mondays, ``counts[slug][i]`` the completions in week i."""

    weeks: list[date]
    counts: dict[str, list[int]]


@dataclass
class Dashboard:
    since: datetime
    until: datetime
    #: The units the breakdown shows (rows of the per-unit charts).
    units: list[OrgUnit]
    courses: list[CourseFigures]
    trend: Trend
    #: (day, course slug, people due that day and not finished)
    upcoming: list[tuple[date, str, int]]
    #: The units with people furthest behind, all mandatory courses together.
    behind: list[tuple[OrgUnit, Tally]]
    titles: dict[str, str] = field(default_factory=dict)
    #: ``upcoming`` folded per course.
    due_soon: list[Upcoming] = field(default_factory=list)


def mandatory_courses(session: Session) -> list[str]:
    """The courses someone must take: those with an active assignment (every course if none is)."""
    slugs = session.scalars(select(Assignment.course_slug).where(Assignment.active.is_(True)).distinct()).all()
    if not slugs:
        slugs = session.scalars(select(Enrolment.course_slug).distinct()).all()
    return sorted(slugs)


def unit_condition(unit_id: int | None) -> ColumnElement[bool]:
    """People in ``unit_id`` and its sub-units (everyone for ``None``)."""
    if unit_id is None:
        return true()
    root_path = select(OrgUnit.path).where(OrgUnit.id == unit_id).scalar_subquery()
    return User.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(root_path)))


def people_conditions(filters: DashboardFilters) -> list[ColumnElement[bool]]:
    """Active people, inside the viewer's scope and the unit filter: every figure starts here."""
    return [User.active.is_(True), people_in_scope(filters.scope), unit_condition(filters.unit_id)]


def tallies_by_unit(
    session: Session, filters: DashboardFilters, slugs: list[str], now: datetime, zone: ZoneInfo
) -> dict[tuple[str, int | None], Tally]:
    """Counts per (course, the person's own org unit), one query."""
    end = filters.end(now)
    since = filters.start(now, zone)
    done = and_(Enrolment.status == EnrolmentStatus.COMPLETED, Enrolment.completed_at < end)
    rows = session.execute(
        select(
            Enrolment.course_slug,
            User.org_unit_id,
            func.count().label("people"),
            func.sum(case((done, 1), else_=0)).label("completed"),
            func.sum(case((and_(~done, Enrolment.due_at < end), 1), else_=0)).label("overdue"),
            func.sum(case((and_(done, Enrolment.completed_at >= since), 1), else_=0)).label("in_period"),
        )
        .join(User, User.id == Enrolment.user_id)
        .where(
            Enrolment.course_slug.in_(slugs),
            Enrolment.status != EnrolmentStatus.CANCELLED,
            Enrolment.enrolled_at < end,
            latest_cycle(),
            *people_conditions(filters),
        )
        .group_by(Enrolment.course_slug, User.org_unit_id)
    )
    return {
        (row.course_slug, row.org_unit_id): Tally(
            int(row.people), int(row.completed or 0), int(row.overdue or 0), int(row.in_period or 0)
        )
        for row in rows
    }


def breakdown_units(tree: UnitTree, filters: DashboardFilters) -> list[OrgUnit]:
    """The units the per-unit rows show: the filter unit's sub-units, a unit head's own units, or
    the university's faculties (the top unit's children when there is one top unit)."""
    if filters.unit_id is not None:
        unit = tree.units.get(filters.unit_id)
        children = tree.children(filters.unit_id)
        return children or ([unit] if unit else [])
    if filters.scope is not None:
        return [u for u in tree.units.values() if u.path in filters.scope]
    roots = tree.children(None)
    if len(roots) == 1:
        return tree.children(roots[0].id) or roots
    return roots


def roll_up(tallies: dict[tuple[str, int | None], Tally], tree: UnitTree, unit: OrgUnit | None) -> dict[str, Tally]:
    """The counts per course for ``unit`` and everything under it (``None``: everyone counted)."""
    totals: dict[str, Tally] = defaultdict(Tally)
    for (slug, unit_id), tally in tallies.items():
        if unit is None or tree.contains(unit, unit_id):
            totals[slug].add(tally)
    return totals


def weekly_trend(session: Session, filters: DashboardFilters, slugs: list[str], now: datetime, zone: ZoneInfo) -> Trend:
    """Completions per week of the period, per course (one query grouped by week number).

    Weeks run Monday to Sunday; the first and last may be cut by the period's bounds.
    """
    end = filters.end(now)
    since = filters.start(now, zone)
    start = week_start(since, zone)
    weeks_of = periods_since(session, Enrolment.completed_at, start, WEEK)
    rows = session.execute(
        select(Enrolment.course_slug, weeks_of.label("week"), func.count().label("n"))
        .join(User, User.id == Enrolment.user_id)
        .where(
            Enrolment.course_slug.in_(slugs),
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.completed_at >= since,
            Enrolment.completed_at < end,
            *people_conditions(filters),
        )
        .group_by(Enrolment.course_slug, weeks_of)
    )
    count = max(1, -(-(end - start) // WEEK))
    weeks = [(start + i * WEEK).astimezone(zone).date() for i in range(count)]
    counts = {slug: [0] * count for slug in slugs}
    for row in rows:
        if 0 <= row.week < count:
            counts[row.course_slug][row.week] += row.n
    return Trend(weeks, counts)


def upcoming_due(
    session: Session, filters: DashboardFilters, slugs: list[str], now: datetime, zone: ZoneInfo
) -> list[tuple[date, str, int]]:
    """People not finished whose due date falls in the next ``UPCOMING_DAYS`` days, per day and course."""
    today = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), zone)
    days_of = periods_since(session, Enrolment.due_at, today, timedelta(days=1))
    rows = session.execute(
        select(Enrolment.course_slug, days_of.label("day"), func.count().label("n"))
        .join(User, User.id == Enrolment.user_id)
        .where(
            Enrolment.course_slug.in_(slugs),
            Enrolment.status.in_(OPEN_STATUSES),
            Enrolment.due_at >= now,
            Enrolment.due_at < now + timedelta(days=UPCOMING_DAYS),
            latest_cycle(),
            *people_conditions(filters),
        )
        .group_by(Enrolment.course_slug, days_of)
    )
    return sorted(((today + timedelta(days=row.day)).date(), row.course_slug, row.n) for row in rows)


@dataclass
class Upcoming:
    """One course's people due in the coming days and not finished."""

    slug: str
    first_day: date
    within_week: int
    within_month: int


def upcoming_by_course(upcoming: list[tuple[date, str, int]], today: date) -> list[Upcoming]:
    """The day-by-day due list folded per course: the first day due, then this week and this month."""
    folded: dict[str, Upcoming] = {}
    for day, slug, count in upcoming:
        item = folded.setdefault(slug, Upcoming(slug, day, 0, 0))
        item.within_month += count
        if (day - today).days < 7:
            item.within_week += count
    return sorted(folded.values(), key=lambda item: item.first_day)


def furthest_behind(
    tallies: dict[tuple[str, int | None], Tally], tree: UnitTree, count: int = BEHIND_COUNT
) -> list[tuple[OrgUnit, Tally]]:
    """The units (where people are filed) with the lowest share completed, all courses together."""
    per_unit: dict[int, Tally] = defaultdict(Tally)
    for (_slug, unit_id), tally in tallies.items():
        if unit_id in tree.units:
            per_unit[unit_id].add(tally)
    ranked = sorted(
        (item for item in per_unit.items() if item[1].people),
        key=lambda item: (item[1].percent, -item[1].overdue, tree.units[item[0]].code),
    )
    return [(tree.units[unit_id], tally) for unit_id, tally in ranked[:count]]


def dashboard(
    session: Session, filters: DashboardFilters, locale: str, zone: ZoneInfo, now: datetime | None = None
) -> Dashboard:
    """Everything the dashboard shows, in five queries."""
    now = now or utcnow()
    slugs = [filters.course] if filters.course else mandatory_courses(session)
    tree = UnitTree.load(session)
    tallies = tallies_by_unit(session, filters, slugs, now, zone)
    units = breakdown_units(tree, filters)
    titles = course_titles(session, slugs, locale)
    totals = roll_up(tallies, tree, None)
    per_unit = [(unit, roll_up(tallies, tree, unit)) for unit in units]
    courses = [
        CourseFigures(slug, titles[slug], totals[slug], [(unit, counts[slug]) for unit, counts in per_unit])
        for slug in slugs
    ]
    upcoming = upcoming_due(session, filters, slugs, now, zone)
    return Dashboard(
        since=filters.start(now, zone),
        until=filters.end(now),
        units=units,
        courses=courses,
        trend=weekly_trend(session, filters, slugs, now, zone),
        upcoming=upcoming,
        behind=furthest_behind(tallies, tree),
        titles=titles,
        due_soon=upcoming_by_course(upcoming, now.astimezone(zone).date()),
    )


def course_titles(session: Session, slugs: list[str], locale: str) -> dict[str, str]:
    """The newest version's title of each course in ``locale`` (the slug when it has none)."""
    titles = {slug: slug for slug in slugs}
    for slug, title in session.execute(
        select(Course.slug, Course.title).where(Course.slug.in_(slugs)).order_by(Course.slug, Course.version)
    ):
        titles[slug] = localized(title, locale)[0] or slug
    return titles


def week_start(moment: datetime, zone: ZoneInfo) -> datetime:
    """Monday 00:00 in ``zone`` of the week holding ``moment``."""
    local = moment.astimezone(zone).date()
    return datetime.combine(local - timedelta(days=local.weekday()), datetime.min.time(), zone)


def periods_since(session: Session, column, origin: datetime, length: timedelta) -> ColumnElement[int]:
    """Which period of ``length`` after ``origin`` a stored time falls in (0, 1, …), in SQL.

    Only for times at or after ``origin`` (the queries filter so): SQLite's CAST truncates, which is
    the floor there; PostgreSQL's rounds, so it gets ``floor`` first. ``date_part`` rather than
    ``extract``: since PostgreSQL 14 ``extract`` gives a numeric, a fifth slower per row.
    """
    seconds = length.total_seconds()
    start = literal(origin, UTCDateTime())
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.date_part("epoch", column - start) / seconds), Integer)
    return cast((func.julianday(column) - func.julianday(start)) * 86400 / seconds, Integer)
