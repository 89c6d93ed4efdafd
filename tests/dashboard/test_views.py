"""The dashboard pages as the office uses them: landing, filters, drill-downs, reports, query counts."""

import csv
import io
import re
import subprocess
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from courses.models import Enrolment
from dashboard import figures
from dashboard.figures import DashboardFilters
from lms.models import Role, User, UserRole
from tests.conftest import _empty_all_tables
from tests.dashboard.university import generate


@pytest.fixture
def uni(db):
    return generate(db.session, people=120, courses=2, seed=5)


@pytest.fixture
def officer(make, uni):
    return make.user("officer@uni.example", roles=[Role.OFFICER], full_name="Aigerim Officer")


def cells(html: str, table_id: str, row_attr: str, key: str) -> dict[str, str]:
    """The data-col cells of one row of a table on the page, as text."""
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    row = table.split(f'{row_attr}="{key}"', 1)[1].split("</tr>", 1)[0]
    return {
        name: re.sub(r"<[^>]+>", "", value).strip() for name, value in re.findall(r'data-col="(\w+)">(.*?)</td>', row)
    }


def test_the_office_lands_on_the_dashboard_and_learners_on_their_learning(client, auth, make, officer, uni):
    auth.login(officer)
    assert client.get("/").headers["Location"].endswith("/office/dashboard/")
    page = client.get("/office/dashboard/").get_data(as_text=True)
    assert 'href="/learning"' in page or "My learning" in page  # their own courses stay in the menu
    auth.logout()
    learner = make.user()
    auth.login(learner)
    assert client.get("/").headers["Location"].endswith("/learning")
    assert client.get("/office/dashboard/").status_code == 403


def test_dashboard_shows_the_numbers_with_charts_and_tables(client, auth, officer, uni, db):
    auth.login(officer)
    html = client.get("/office/dashboard/").get_data(as_text=True)
    dash = figures.dashboard(db.session, DashboardFilters(), "en", ZoneInfo("Asia/Almaty"))
    for course in dash.courses:
        row = cells(html, "course-table", "data-course", course.slug)
        assert row["people"] == f"{course.total.people:,}" and row["completed"] == f"{course.total.completed:,}"
        assert row["overdue"] == f"{course.total.overdue:,}"
    assert html.count('src="data:image/svg+xml;base64,') == 3
    assert "kozea.github.io" not in html  # pygal's CDN script is off
    for faculty in uni.faculties:
        assert f'data-unit="{faculty.id}"' in html
    assert 'id="trend-table"' in html and 'id="upcoming-table"' in html and 'id="behind-table"' in html


def test_filter_by_faculty_then_drill_down_to_a_person(client, auth, officer, uni, db):
    auth.login(officer)
    faculty = uni.faculties[0]
    html = client.get(f"/office/dashboard/?unit={faculty.id}").get_data(as_text=True)
    departments = [d for d in uni.departments if d.parent_id == faculty.id]
    for department in departments:
        assert f'data-unit="{department.id}"' in html
    assert f'data-unit="{uni.faculties[1].id}"' not in html
    page = client.get(f"/office/dashboard/units/{departments[0].id}").get_data(as_text=True)
    person = db.session.scalar(
        select(User).where(User.org_unit_id == departments[0].id, User.active.is_(True)).order_by(User.full_name)
    )
    assert person.full_name in page and f"/office/courses/people/{person.id}" in page
    assert 'data-state="' in page


def test_course_drill_down_lists_modules_with_attempts(client, auth, officer, uni):
    auth.login(officer)
    page = client.get(f"/office/dashboard/courses/{uni.slugs[0]}").get_data(as_text=True)
    assert 'data-module="quiz"' in page and 'data-module="lesson-1"' in page
    assert client.get("/office/dashboard/courses/no-such-course").status_code == 404


def test_quiz_page_flags_the_question_russian_readers_fail(client, auth, officer, uni, make):
    auth.login(officer)
    html = client.get(f"/office/dashboard/quizzes/{uni.quiz_module_ids[uni.slugs[0]]}").get_data(as_text=True)
    sections = html.split('<section class="mb-4"')[1:]
    assert len(sections) == 2  # one per question of the quiz
    assert 'data-flag="translation"' in sections[0] and 'data-flag="translation"' not in sections[1]
    assert 'data-locale="ru" class="table-warning"' in sections[0]
    head = make.user(roles=[])
    head.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=uni.faculties[0].id))
    make.session.commit()
    auth.logout()
    auth.login(head)  # a unit head: statistics cover the whole university, so they are not theirs to see
    assert client.get(f"/office/dashboard/quizzes/{uni.quiz_module_ids[uni.slugs[0]]}").status_code == 403
    assert "Question statistics" not in client.get(f"/office/dashboard/courses/{uni.slugs[0]}").get_data(as_text=True)


def test_summary_csv_equals_the_screen_and_the_people_export_streams_every_row(client, auth, officer, uni, db):
    auth.login(officer)
    html = client.get("/office/dashboard/").get_data(as_text=True)
    text = client.get("/office/dashboard/report.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Course", "Org unit", "People"]
    totals = [r for r in rows[1:] if r[1] == "The whole university"]
    assert len(totals) == 2
    for total, slug in zip(totals, uni.slugs, strict=True):
        row = cells(html, "course-table", "data-course", slug)
        assert f"{int(total[2]):,}" == row["people"] and f"{int(total[3]):,}" == row["completed"]
    people = client.get("/office/dashboard/people.csv").get_data(as_text=True)
    enrolled = sum(1 for _ in db.session.execute(select(Enrolment.id).where(Enrolment.cycle == 1)))
    assert people.count("\n") - 1 >= enrolled * 0.9  # current cycles of both courses, every person


def pdf_text(data: bytes) -> str:
    """The PDF's text in reading order, cell after cell, whitespace collapsed (a title wraps in its cell)."""
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return " ".join(out.split())


def test_pdf_report_opens_and_its_totals_equal_the_screen(client, auth, officer, uni, db):
    auth.login(officer)
    html = client.get("/office/dashboard/").get_data(as_text=True)
    response = client.get("/office/dashboard/report.pdf?lang=ru")
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert "Университет METU" in text  # the title page, in the chosen language
    titles = figures.course_titles(db.session, uni.slugs, "ru")
    table = text[text.index("Люди") :]  # the course totals, after the chart (whose labels are titles too)
    for slug in uni.slugs:
        row = cells(html, "course-table", "data-course", slug)
        totals = re.search(re.escape(titles[slug]) + r"\s+(\d+)\s+(\d+)\s", table)
        assert totals.groups() == (row["people"].replace(",", ""), row["completed"].replace(",", ""))


PAGES = (
    "/office/dashboard/",
    "/office/dashboard/?unit={faculty}",
    "/office/dashboard/units/{department}",
    "/office/dashboard/courses/{slug}",
    "/office/dashboard/report.csv",
    "/office/dashboard/report.pdf",
    "/office/dashboard/people.csv",
    "/office/dashboard/quizzes/{quiz}",
)


def test_pages_run_the_same_number_of_queries_for_100_and_10000_people(app, db, make, count_queries):
    counts = {}
    for people in (100, 10_000):
        uni = generate(db.session, people=people, courses=2, seed=people, attempts=False)
        officer = make.user(roles=[Role.OFFICER])
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        client.post("/login", data={"email": officer.email, "password": "correct horse battery"})
        for path in PAGES:
            url = path.format(
                faculty=uni.faculties[0].id,
                department=uni.departments[0].id,
                slug=uni.slugs[0],
                quiz=uni.quiz_module_ids[uni.slugs[0]],
            )
            with count_queries() as statements:
                response = client.get(url)
                assert response.status_code == 200 and response.get_data()
            counts.setdefault(path, []).append(len(statements))
        db.session.remove()
        _empty_all_tables()
    assert all(small == large for small, large in counts.values()), counts
