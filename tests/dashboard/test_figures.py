"""The dashboard's numbers equal numbers computed here, independently, from the raw rows."""

from collections import Counter, defaultdict
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from courses.models import Enrolment
from dashboard import figures
from dashboard.figures import DashboardFilters
from lms.database import as_utc
from lms.models import OrgUnit, User
from tests.dashboard.university import generate

ZONE = ZoneInfo("Asia/Almaty")


@pytest.fixture
def uni(db):
    return generate(db.session, people=300, courses=2, seed=3)


def raw_rows(session):
    """Every enrolment with its person's unit path and whether they are active, as plain tuples."""
    paths = dict(session.execute(select(OrgUnit.id, OrgUnit.path)).all())
    people = {row.id: row for row in session.execute(select(User.id, User.org_unit_id, User.active))}
    rows = []
    for e in session.execute(
        select(
            Enrolment.user_id,
            Enrolment.course_slug,
            Enrolment.cycle,
            Enrolment.status,
            Enrolment.enrolled_at,
            Enrolment.due_at,
            Enrolment.completed_at,
        )
    ):
        person = people[e.user_id]
        rows.append((e, paths.get(person.org_unit_id, ""), person.active))
    return rows


def aware(moment):
    return as_utc(moment)


def expected(rows, slug, end, since, under_path=""):
    """The dashboard's definitions, spelled out on the raw rows (see dashboard.figures' docstring)."""
    latest = defaultdict(int)
    for e, _path, _active in rows:
        latest[(e.user_id, e.course_slug)] = max(latest[(e.user_id, e.course_slug)], e.cycle)
    counts = Counter()
    for e, path, active in rows:
        if e.course_slug != slug or e.cycle != latest[(e.user_id, slug)] or not active:
            continue
        if e.status == "cancelled" or aware(e.enrolled_at) >= end or not path.startswith(under_path):
            continue
        done = e.status == "completed" and aware(e.completed_at) < end
        counts["people"] += 1
        counts["completed"] += done
        counts["overdue"] += (not done) and e.due_at is not None and aware(e.due_at) < end
        counts["in_period"] += done and aware(e.completed_at) >= since
    return counts


def as_counts(tally):
    return Counter(
        people=tally.people, completed=tally.completed, overdue=tally.overdue, in_period=tally.completed_in_period
    )


def test_overall_and_per_faculty_equal_the_raw_rows(db, uni):
    dash = figures.dashboard(db.session, DashboardFilters(), "en", ZONE, now=uni.now)
    rows = raw_rows(db.session)
    since = figures.week_start(uni.now - figures.DEFAULT_WEEKS * figures.WEEK, ZONE)
    assert dash.since == since and since.astimezone(ZONE).weekday() == 0
    assert [course.slug for course in dash.courses] == uni.slugs
    for course in dash.courses:
        want = expected(rows, course.slug, uni.now, since)
        assert as_counts(course.total) == want
        assert want["people"] > 200 and 0 < want["completed"] < want["people"] and want["overdue"] > 0
        assert 0 < want["in_period"] < want["completed"]
        assert [unit.id for unit, _tally in course.by_unit] == [f.id for f in uni.faculties]
        for unit, tally in course.by_unit:  # each faculty counts its departments' people
            assert as_counts(tally) == expected(rows, course.slug, uni.now, since, unit.path)
        assert sum(t.people for _u, t in course.by_unit) == course.total.people


def test_a_unit_filter_counts_its_sub_units_and_shows_them(db, uni):
    faculty = uni.faculties[1]
    dash = figures.dashboard(db.session, DashboardFilters(unit_id=faculty.id), "en", ZONE, now=uni.now)
    rows = raw_rows(db.session)
    start = dash.since
    for course in dash.courses:
        assert as_counts(course.total) == expected(rows, course.slug, uni.now, start, faculty.path)
        assert {unit.parent_id for unit, _t in course.by_unit} == {faculty.id}
        for unit, tally in course.by_unit:
            assert tally.people == expected(rows, course.slug, uni.now, start, unit.path)["people"]


def test_a_past_period_counts_as_at_its_end(db, uni):
    until = uni.now - timedelta(days=30)
    since = uni.now - timedelta(days=75)
    filters = DashboardFilters(since=since, until=until)
    dash = figures.dashboard(db.session, filters, "en", ZONE, now=uni.now)
    rows = raw_rows(db.session)
    for course in dash.courses:
        want = expected(rows, course.slug, until, since)
        assert as_counts(course.total) == want
        assert 0 < want["in_period"] < want["completed"]


def test_a_unit_head_sees_the_numbers_of_their_faculty_only(db, uni):
    faculty = uni.faculties[2]
    dash = figures.dashboard(db.session, DashboardFilters(scope=[faculty.path]), "en", ZONE, now=uni.now)
    rows = raw_rows(db.session)
    for course in dash.courses:
        assert as_counts(course.total) == expected(rows, course.slug, uni.now, dash.since, faculty.path)
        assert [unit.id for unit, _t in course.by_unit] == [faculty.id]
    assert all(unit.path.startswith(faculty.path) for unit, _t in dash.behind)


def test_weekly_trend_counts_every_completion_of_the_period_by_almaty_week(db, uni):
    dash = figures.dashboard(db.session, DashboardFilters(), "en", ZONE, now=uni.now)
    people = dict(db.session.execute(select(User.id, User.active)).all())
    start = figures.week_start(uni.now - figures.DEFAULT_WEEKS * figures.WEEK, ZONE)
    assert dash.trend.weeks[0] == start.astimezone(ZONE).date() and dash.trend.weeks[0].weekday() == 0
    for slug in uni.slugs:
        weeks = Counter()
        for e in db.session.execute(
            select(Enrolment.user_id, Enrolment.completed_at).where(Enrolment.course_slug == slug)
        ):
            done = aware(e.completed_at)
            if done is not None and people[e.user_id] and start <= done < uni.now:
                weeks[(done.astimezone(ZONE).date() - start.astimezone(ZONE).date()).days // 7] += 1
        assert dash.trend.counts[slug] == [weeks[i] for i in range(len(dash.trend.weeks))]
        assert sum(weeks.values()) > 20


def test_upcoming_due_and_units_furthest_behind(db, uni):
    dash = figures.dashboard(db.session, DashboardFilters(), "en", ZONE, now=uni.now)
    rows = raw_rows(db.session)
    latest = defaultdict(int)
    for e, _p, _a in rows:
        latest[(e.user_id, e.course_slug)] = max(latest[(e.user_id, e.course_slug)], e.cycle)
    due = Counter()
    for e, _path, active in rows:
        if (
            active
            and e.cycle == latest[(e.user_id, e.course_slug)]
            and e.status in ("not_started", "in_progress")
            and uni.now <= aware(e.due_at) < uni.now + timedelta(days=30)
        ):
            due[(aware(e.due_at).astimezone(ZONE).date(), e.course_slug)] += 1
    assert {(day, slug): n for day, slug, n in dash.upcoming} == dict(due)
    assert due
    percents = [tally.percent for _unit, tally in dash.behind]
    assert len(dash.behind) == 5 and percents == sorted(percents)
    everyone = {unit.id for unit in uni.departments}
    assert {unit.id for unit, _t in dash.behind} <= everyone


def test_due_dates_fold_per_course_into_this_week_and_this_month():
    today = date(2026, 12, 1)
    upcoming = [(date(2026, 12, 3), "ethics", 4), (date(2026, 12, 8), "ethics", 2), (date(2026, 12, 20), "law", 7)]
    folded = figures.upcoming_by_course(upcoming, today)
    assert [(u.slug, u.first_day, u.within_week, u.within_month) for u in folded] == [
        ("ethics", date(2026, 12, 3), 4, 6),
        ("law", date(2026, 12, 20), 0, 7),
    ]
