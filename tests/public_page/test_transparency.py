"""Transparency figures: finished years only, numbers only, and never a group below the minimum."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from concerns.models import CaseStatistic
from courses.models import Enrolment, EnrolmentStatus
from lms.models import AuditEvent
from public_page import transparency
from public_page.suppression import Hidden
from tests.courses.builders import build_course

ZONE = ZoneInfo("Asia/Almaty")
THIS_YEAR = datetime.now(ZONE).year
LAST_YEAR = THIS_YEAR - 1


def cases(db, year, category, outcome, count, first_answer=3, close=40):
    for i in range(count):
        db.session.add(
            CaseStatistic(
                received_year=year,
                category=category,
                outcome=outcome,
                days_to_first_answer=first_answer + i,
                days_to_close=close + i if outcome else None,
            )
        )
    db.session.commit()


@pytest.fixture
def reports(db):
    """Last year: 12 bribery cases (7 substantiated, 2 not, 3 in progress), 6 gifts, 1 extortion."""
    cases(db, LAST_YEAR, "bribery", "substantiated", 7)
    cases(db, LAST_YEAR, "bribery", "not_substantiated", 2)
    cases(db, LAST_YEAR, "bribery", None, 3)
    cases(db, LAST_YEAR, "gifts", "not_substantiated", 6)
    cases(db, LAST_YEAR, "extortion", "referred", 1)
    cases(db, THIS_YEAR, "bribery", "substantiated", 9)  # a year still under way: not published


def shown_numbers(html: str) -> list[int]:
    """Every number in the figures' table cells (hidden cells hold words, not numbers)."""
    tables = re.findall(r"<table.*?</table>", html, re.S)
    cells = [cell for table in tables for cell in re.findall(r"<td>(.*?)</td>", table, re.S)]
    return [int(cell.replace(",", "").replace("\u00a0", "")) for cell in cells if re.fullmatch(r"[\d,\u00a0]+", cell)]


def test_the_figures_never_show_a_group_below_the_minimum(client, db, reports):
    page = client.get("/transparency")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="year-{LAST_YEAR}"' in html and f'id="year-{THIS_YEAR}"' not in html
    numbers = shown_numbers(html)
    assert numbers and min(numbers) >= 5
    assert "fewer than 5" in html
    figures = transparency.published_figures(db.session, 5, ZONE, "en")[0]
    shown = [v for row in figures.reports for v in row if not isinstance(v, Hidden)]
    assert min(shown) >= 5
    assert figures.reports[-1][-1] == 19  # 19 reports last year, the total is safe
    bribery = figures.reports[0]
    assert bribery[0] == 7 and bribery[-1] == 12
    assert bribery[1] is Hidden.SMALL and bribery[3] is Hidden.SMALL  # 2 not substantiated, 3 in progress
    for line in [*figures.reports, *zip(*figures.reports, strict=True)]:
        assert sum(isinstance(v, Hidden) for v in line) != 1
    assert figures.median_first_answer == 5  # 19 cases: 3..9, 3..4, 3..5, 3..8, 3 → median 5
    assert figures.median_close is not None


def test_a_median_of_fewer_cases_than_the_minimum_is_hidden(client, db):
    cases(db, LAST_YEAR, "bribery", "substantiated", 4)
    cases(db, LAST_YEAR, "gifts", None, 3)
    figures = transparency.published_figures(db.session, 5, ZONE, "en")[0]
    assert figures.median_first_answer == 4.0  # 7 answered
    assert figures.median_close is None  # only 4 closed
    html = client.get("/transparency").get_data(as_text=True)
    assert "fewer than 5 cases" in html


def test_no_figures_before_a_finished_year_has_reports(client, db):
    cases(db, THIS_YEAR, "bribery", "substantiated", 9)
    assert client.get("/transparency").status_code == 404
    assert "/transparency" not in client.get("/about").get_data(as_text=True)


def test_the_office_switches_the_figures_off(client, auth, make, db, reports):
    from lms.models import Role

    assert "/transparency" in client.get("/about").get_data(as_text=True)
    auth.login(make.user(roles=[Role.OFFICER]))
    client.post("/office/public/figures", data={})
    assert client.get("/transparency").status_code == 404
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action.like("public.figures%"))) == (
        "public.figures_off"
    )
    client.post("/office/public/figures", data={"show": "y"})
    assert client.get("/transparency").status_code == 200


def test_training_completion_per_faculty_hides_small_groups(client, db, make):
    cases(db, LAST_YEAR, "other", "substantiated", 5)
    root = make.unit("UNI", kind="university")
    large = make.unit("LAW", parent=root, kind="faculty", en="Faculty of Law")
    medicine = make.unit("MED", parent=root, kind="faculty", en="Faculty of Medicine")
    small = make.unit("ART", parent=root, kind="faculty", en="Faculty of Arts")
    course = build_course(db.session, slug="code-of-ethics")
    during = datetime(LAST_YEAR, 6, 1, tzinfo=ZONE)

    def enrol(unit, done):
        person = make.user(unit=unit)
        db.session.add(
            Enrolment(
                user=person,
                course=course,
                course_slug=course.slug,
                enrolled_at=during - timedelta(days=30),
                status=EnrolmentStatus.COMPLETED if done else EnrolmentStatus.IN_PROGRESS,
                completed_at=during if done else None,
            )
        )

    for i in range(20):
        enrol(large, i < 14)  # 14 of 20
    for i in range(30):
        enrol(medicine, i < 20)  # 20 of 30
    for i in range(3):
        enrol(small, i < 2)  # 2 of 3: too few to show
    db.session.commit()

    figures = transparency.published_figures(db.session, 5, ZONE, "en")[0]
    rows = dict(figures.completion)
    assert rows["Faculty of Arts"] == [Hidden.SMALL] * 3
    assert rows["Faculty of Medicine"] == [20, 10, 30]
    # The next smallest faculty hides too, or the total less the others would give the Arts' numbers.
    assert rows["Faculty of Law"] == [Hidden.WITHHELD] * 3
    assert rows[""] == [36, 17, 53]
    for name, row in figures.completion:
        assert all(isinstance(v, Hidden) or v >= 5 for v in row), name
    html = client.get("/transparency").get_data(as_text=True)
    assert "Faculty of Law" in html and min(shown_numbers(html)) >= 5
