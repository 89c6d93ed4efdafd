"""Progress reports: states, filters, scope, bounded queries, and the CSV/XLSX exports."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook

from courses.models import Course, CourseStatus, Enrolment, EnrolmentStatus, Module, ModuleKind, QuizAttempt
from courses.office import reports
from lms.models import PersonKind, Role, UserRole

NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)


@pytest.fixture
def course(db):
    course = Course(slug="ethics", status=CourseStatus.PUBLISHED, title={"en": "Code of ethics", "ru": "Кодекс этики"})
    course.modules.append(Module(key="quiz", kind=ModuleKind.QUIZ, title={"en": "Quiz"}))
    db.session.add(course)
    db.session.commit()
    return course


def _enrol(db, course, person, status=EnrolmentStatus.NOT_STARTED, attempts=0, cycle=1, **fields):
    enrolment = Enrolment(
        user_id=person.id, course_id=course.id, course_slug=course.slug, status=status, cycle=cycle, **fields
    )
    db.session.add(enrolment)
    db.session.flush()
    for number in range(1, attempts + 1):
        db.session.add(
            QuizAttempt(
                enrolment_id=enrolment.id,
                module_id=course.modules[0].id,
                number=number,
                seed=number,
                draw=[],
                submitted_at=NOW - timedelta(days=1),
                score=50 + number * 20,
            )
        )
    db.session.commit()
    return enrolment


@pytest.fixture
def campus(db, make, course):
    """People of a faculty, its department and another unit, in each state."""
    faculty = make.unit("FIT", en="Faculty of IT")
    dept = make.unit("FIT-CS", parent=faculty, en="Computer Science")
    law = make.unit("LAW", en="Law school")
    people = {
        "ada": make.user(unit=faculty, full_name="Ada Abenova", study_group="FIT-21"),
        "bek": make.user(unit=dept, full_name="Bek Bekov", study_group="FIT-21"),
        "dana": make.user(unit=dept, full_name="Dana Dauletova", kind=PersonKind.STAFF),
        "erlan": make.user(unit=law, full_name="Erlan Ermekov", study_group="LAW-22"),
    }
    _enrol(
        db,
        course,
        people["ada"],
        EnrolmentStatus.COMPLETED,
        attempts=2,
        score=90,
        completed_at=NOW - timedelta(days=2),
        due_at=NOW - timedelta(days=1),
    )
    _enrol(db, course, people["bek"], EnrolmentStatus.IN_PROGRESS, attempts=1, due_at=NOW - timedelta(hours=1))
    _enrol(db, course, people["dana"], due_at=NOW + timedelta(days=3))
    # Erlan completed the first cycle; the second is open: only the current cycle is reported.
    _enrol(db, course, people["erlan"], EnrolmentStatus.COMPLETED, score=75, completed_at=NOW - timedelta(days=400))
    _enrol(db, course, people["erlan"], cycle=2, due_at=NOW + timedelta(days=30))
    return {"faculty": faculty, "dept": dept, "law": law, **people}


def _rows(db, **filters):
    query = reports.course_progress_query("ethics", reports.ProgressFilters(**filters), NOW)
    return {row.full_name.split()[0]: row for row in db.session.execute(query)}


def test_state_attempts_and_current_cycle(db, campus):
    rows = _rows(db)
    assert {name: row.state for name, row in rows.items()} == {
        "Ada": "completed",  # completed after the due date: completed, not overdue
        "Bek": "overdue",
        "Dana": "not_started",
        "Erlan": "not_started",
    }
    assert (rows["Ada"].attempts, rows["Ada"].score, rows["Bek"].attempts, rows["Dana"].attempts) == (2, 90, 1, 0)
    assert rows["Erlan"].cycle == 2


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"unit_id": "faculty"}, {"Ada", "Bek", "Dana"}),
        ({"unit_id": "faculty", "sub_units": False}, {"Ada"}),
        ({"group": "FIT-21"}, {"Ada", "Bek"}),
        ({"kind": PersonKind.STAFF}, {"Dana"}),
        ({"status": "overdue"}, {"Bek"}),
        ({"status": "not_started"}, {"Dana", "Erlan"}),
        ({"search": "DAULET"}, {"Dana"}),
        ({"scope": ["dept"]}, {"Bek", "Dana"}),
        ({"scope": []}, set()),
    ],
)
def test_filters_and_scope(db, campus, filters, expected):
    if "unit_id" in filters:
        filters["unit_id"] = campus[filters["unit_id"]].id
    if filters.get("scope"):
        filters["scope"] = [campus[name].path for name in filters["scope"]]
    assert set(_rows(db, **filters)) == expected


def test_summary_counts_and_average(db, campus):
    summary = reports.course_summary(db.session, "ethics", reports.ProgressFilters(), NOW)
    assert summary["enrolled"] == 4
    assert (summary["completed"], summary["overdue"], summary["not_started"], summary["in_progress"]) == (1, 1, 2, 0)
    assert summary["avg_score"] == 90


def test_courses_overview(db, campus):
    (row,) = reports.courses_overview(db.session, None, "ru", NOW)
    assert (row["title"], row["enrolled"], row["completed"], row["overdue"]) == ("Кодекс этики", 4, 1, 1)


def test_person_progress_lists_every_cycle(db, campus):
    rows = db.session.execute(reports.person_progress_query(campus["erlan"].id, NOW)).all()
    assert [(r.cycle, r.state) for r in rows] == [(2, "not_started"), (1, "completed")]


@pytest.fixture
def officer(make):
    return make.user(roles=[Role.OFFICER], kind=PersonKind.STAFF)


def _crowd(db, make, course, unit, n):
    for i in range(n):
        person = make.user(unit=unit, study_group="CROWD")
        _enrol(
            db,
            course,
            person,
            [EnrolmentStatus.COMPLETED, EnrolmentStatus.IN_PROGRESS, EnrolmentStatus.NOT_STARTED][i % 3],
            attempts=i % 3,
            due_at=NOW + timedelta(days=i - n // 2),
        )


def _queries_for(client, count_queries, url):
    with count_queries() as statements:
        response = client.get(url)
        body = response.data  # a streamed response runs its queries while read
    assert response.status_code == 200, url
    return len(statements), body


REPORT_URLS = [
    "/office/courses/",
    "/office/courses/progress/ethics",
    "/office/courses/progress/ethics?status=overdue&group=CROWD&unit={unit}",
    "/office/courses/progress/ethics/export.csv",
    "/office/courses/progress/ethics/export.xlsx",
    "/office/courses/assignments",
]


@time_machine.travel(NOW, tick=False)
def test_report_queries_do_not_grow_with_people(client, auth, make, db, course, officer, count_queries):
    unit = make.unit("CROWD")
    auth.login(officer)
    _crowd(db, make, course, unit, 5)
    few = {url: _queries_for(client, count_queries, url.format(unit=unit.id))[0] for url in REPORT_URLS}
    _crowd(db, make, course, unit, 45)
    many = {url: _queries_for(client, count_queries, url.format(unit=unit.id))[0] for url in REPORT_URLS}
    assert few == many
    assert max(many.values()) <= 12


@time_machine.travel(NOW, tick=False)
def test_csv_export_contents(client, auth, db, campus, officer):
    auth.login(officer)
    response = client.get(f"/office/courses/progress/ethics/export.csv?unit={campus['faculty'].id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="progress-ethics.csv"'
    text = response.data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Name"] for r in rows] == ["Ada Abenova", "Bek Bekov", "Dana Dauletova"]
    ada = rows[0]
    assert (ada["Status"], ada["Score, %"], ada["Quiz attempts"], ada["Org unit"]) == (
        "completed",
        "90",
        "2",
        "Faculty of IT",
    )
    assert ada["Completed"] == "2026-11-18 12:00:00"  # 07:00 UTC is noon in Almaty
    assert rows[1]["Status"] == "overdue"


@time_machine.travel(NOW, tick=False)
def test_xlsx_export_contents(client, auth, db, campus, officer):
    auth.login(officer)
    response = client.get("/office/courses/progress/ethics/export.xlsx?status=overdue")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:3] == ["Name", "E-mail", "Kind"]
    assert len(rows) == 1
    bek = dict(zip(header, rows[0], strict=True))
    assert (bek["Name"], bek["Status"], bek["Quiz attempts"], bek["Study group"]) == (
        "Bek Bekov",
        "overdue",
        1,
        "FIT-21",
    )
    assert bek["Due"] == datetime(2026, 11, 20, 11, 0)


@time_machine.travel(NOW, tick=False)
def test_scoped_officer_sees_and_exports_only_their_units(client, auth, make, db, campus):
    head = make.user(kind=PersonKind.STAFF)
    head.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=campus["dept"].id))
    db.session.commit()
    auth.login(head)
    page = client.get("/office/courses/progress/ethics").data.decode()
    assert "Bek Bekov" in page and "Dana Dauletova" in page
    assert "Ada Abenova" not in page and "Erlan Ermekov" not in page
    exported = client.get("/office/courses/progress/ethics/export.csv").data.decode("utf-8-sig")
    assert "Bek Bekov" in exported and "Ada Abenova" not in exported
    assert client.get(f"/office/courses/people/{campus['ada'].id}").status_code == 404
    person = client.get(f"/office/courses/people/{campus['bek'].id}")
    assert person.status_code == 200 and b"Code of ethics" in person.data


@time_machine.travel(NOW, tick=False)
def test_exports_never_turn_a_name_into_a_formula(client, auth, make, db, course, officer):
    person = make.user(full_name='=HYPERLINK("http://evil.example","click")', study_group="@SUM(1)")
    _enrol(db, course, person)
    auth.login(officer)
    text = client.get("/office/courses/progress/ethics/export.csv").data.decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["Name"].startswith("'=HYPERLINK")
    assert row["Study group"] == "'@SUM(1)"
    data = client.get("/office/courses/progress/ethics/export.xlsx").data
    sheet = load_workbook(io.BytesIO(data)).active
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s"
    assert cell.value.startswith("'=HYPERLINK")


@time_machine.travel(NOW, tick=False)
def test_csv_export_names_its_charset_once_and_kinds_in_words(client, auth, db, campus, officer):
    auth.login(officer)
    response = client.get(f"/office/courses/progress/ethics/export.csv?unit={campus['faculty'].id}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [r["Kind"] for r in rows] == ["Student", "Student", "Staff"]


@time_machine.travel(NOW, tick=False)
def test_progress_pages_show_due_and_completion_as_unambiguous_dates(client, auth, db, campus, officer):
    auth.login(officer)
    page = client.get("/office/courses/progress/ethics").data.decode()
    assert "Nov 18, 2026" in page and "Nov 19, 2026" in page  # Ada: completed, due; not 11/18/26
    assert "/26," not in page
    person = client.get(f"/office/courses/people/{campus['ada'].id}").data.decode()
    assert "Nov 18, 2026" in person and "/26," not in person
