"""Transparency figures: reports per year by category and outcome, how fast they were answered and
closed, and training completion per faculty — numbers only, small groups hidden (``suppression``).

Only finished calendar years (of the university's time zone) are published: a year still under
way would change with each new report and tell its reader that someone just reported. The figures
appear once a finished year has reports, unless the office has switched them off.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from concerns.forms import OUTCOME_LABELS as CASE_OUTCOME_LABELS
from concerns.models import CaseStatistic, Category, Outcome
from dashboard.figures import (
    DashboardFilters,
    Tally,
    UnitTree,
    breakdown_units,
    mandatory_courses,
    roll_up,
    tallies_by_unit,
)
from lms.database import localized, utcnow
from lms.models import Setting
from public_page.suppression import Hidden, safe_median, suppress

SETTING = "public.figures"
#: How many finished years the page shows, newest first.
YEARS_SHOWN = 5
IN_PROGRESS = "in_progress"
CATEGORIES = tuple(Category)
OUTCOMES = (Outcome.SUBSTANTIATED, Outcome.NOT_SUBSTANTIATED, Outcome.REFERRED, IN_PROGRESS)
#: The outcomes as the case handlers' pages name them, and the cases still open.
OUTCOME_LABELS = {**CASE_OUTCOME_LABELS, IN_PROGRESS: _l("in progress")}


@dataclass
class YearFigures:
    """One finished year; a ``Hidden`` stands for a hidden count, ``None`` for a median of too few cases."""

    year: int
    #: Rows per category (in ``CATEGORIES`` order) then the total row; columns per outcome then the total.
    reports: list[list[int | Hidden]]
    median_first_answer: float | None
    median_close: float | None
    #: (faculty name, [completed, not completed, enrolments]) per faculty, then ("", totals).
    completion: list[tuple[str, list[int | Hidden]]]


def figures_enabled(session: Session) -> bool:
    """The office's switch (on unless it turned the figures off)."""
    row = session.get(Setting, SETTING)
    return not (row is not None and isinstance(row.value, dict) and row.value.get("show") is False)


def set_figures_enabled(session: Session, show: bool) -> None:
    row = session.get(Setting, SETTING)
    if row is None:
        session.add(Setting(key=SETTING, value={"show": show}))
    else:
        row.value = {"show": show}


def finished_years(session: Session, zone: ZoneInfo, now: datetime | None = None) -> list[int]:
    """The finished years that have reports, newest first (at most ``YEARS_SHOWN``)."""
    this_year = (now or utcnow()).astimezone(zone).year
    years = session.scalars(
        select(CaseStatistic.received_year)
        .where(CaseStatistic.received_year < this_year)
        .distinct()
        .order_by(CaseStatistic.received_year.desc())
        .limit(YEARS_SHOWN)
    )
    return list(years)


def published_figures(
    session: Session, minimum: int, zone: ZoneInfo, locale: str, now: datetime | None = None
) -> list[YearFigures]:
    """What the public page shows: nothing if switched off or before a finished year has reports."""
    if not figures_enabled(session):
        return []
    years = finished_years(session, zone, now)
    if not years:
        return []
    counts = report_counts(session, years)
    durations = answer_days(session, years)
    completion = completion_by_faculty(session, years, zone, locale)
    return [
        YearFigures(
            year=year,
            reports=suppress(counts[year], minimum),
            median_first_answer=safe_median(durations[year][0], minimum),
            median_close=safe_median(durations[year][1], minimum),
            completion=_suppressed_completion(completion[year], minimum),
        )
        for year in years
    ]


def report_counts(session: Session, years: list[int]) -> dict[int, list[list[int]]]:
    """Reports received per year as a category × outcome grid of counts (one query)."""
    grid = {year: [[0] * len(OUTCOMES) for _ in CATEGORIES] for year in years}
    rows = session.execute(
        select(CaseStatistic.received_year, CaseStatistic.category, CaseStatistic.outcome, func.count())
        .where(CaseStatistic.received_year.in_(years))
        .group_by(CaseStatistic.received_year, CaseStatistic.category, CaseStatistic.outcome)
    )
    for year, category, outcome, count in rows:
        row = CATEGORIES.index(category) if category in CATEGORIES else CATEGORIES.index(Category.OTHER)
        column = OUTCOMES.index(outcome if outcome in OUTCOMES else IN_PROGRESS)  # no outcome yet: in progress
        grid[year][row][column] += count
    return grid


def answer_days(session: Session, years: list[int]) -> dict[int, tuple[list[int], list[int]]]:
    """Per year, the days to the first answer and the days to closing of the cases that have them."""
    found: dict[int, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    rows = session.execute(
        select(CaseStatistic.received_year, CaseStatistic.days_to_first_answer, CaseStatistic.days_to_close).where(
            CaseStatistic.received_year.in_(years)
        )
    )
    for year, first_answer, close in rows:
        if first_answer is not None:
            found[year][0].append(first_answer)
        if close is not None:
            found[year][1].append(close)
    return found


def completion_by_faculty(
    session: Session, years: list[int], zone: ZoneInfo, locale: str
) -> dict[int, list[tuple[str, Tally]]]:
    """Enrolments in the mandatory courses and their completions per faculty, as the dashboard counts
    them for a period of one calendar year (a query a year)."""
    slugs = mandatory_courses(session)
    tree = UnitTree.load(session)
    faculties = breakdown_units(tree, DashboardFilters())
    found = {}
    for year in years:
        filters = DashboardFilters(since=_new_year(year, zone), until=_new_year(year + 1, zone))
        tallies = tallies_by_unit(session, filters, slugs, utcnow(), zone)
        rows = []
        for faculty in faculties:
            total = Tally()
            for tally in roll_up(tallies, tree, faculty).values():
                total.add(tally)
            rows.append((localized(faculty.name, locale)[0] or faculty.code, total))
        found[year] = rows
    return found


def _suppressed_completion(rows: list[tuple[str, Tally]], minimum: int) -> list[tuple[str, list[int | Hidden]]]:
    """Completed and not completed per faculty, hidden where small (so no one's status can be inferred)."""
    if not rows:
        return []
    cells = [[tally.completed, tally.people - tally.completed] for _name, tally in rows]
    table = suppress(cells, minimum)
    names = [name for name, _tally in rows] + [""]
    return list(zip(names, table, strict=True))


def _new_year(year: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(date(year, 1, 1), time.min, zone)
