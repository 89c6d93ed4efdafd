"""The signature register: who signed which version of the code of ethics, who signed an older one, who has not."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from courses.authoring import versioning
from courses.learning import progress
from courses.models import Course, CourseStatus, Enrolment, EnrolmentStatus, Module, ModuleKind
from courses.packs.importing import bundled_pack_folders, import_pack
from courses.packs.validating import load_pack
from courses.signatures import documents, register
from lms.models import AuditEvent, PersonKind, Role, UserRole
from tests.courses.builders import build_course, enrol, module_of

NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
OLD, NEW = "2026-1", "2027-1"


def _next_version(db, first: Course, document_version: str, version: int = 2) -> Course:
    """A later version of the course, published, whose code of ethics is ``document_version``.

    The earlier versions stay published, as publishing leaves them.
    """
    course = Course(
        slug=first.slug,
        version=version,
        status=CourseStatus.PUBLISHED,
        default_locale="en",
        title={"en": "Code of ethics", "ru": "Кодекс этики"},
        published_at=NOW,
    )
    course.modules.append(Module(key="lesson-1", position=1, kind=ModuleKind.LESSON, title={"en": "Lesson"}))
    course.modules.append(
        Module(
            key="code",
            position=2,
            kind=ModuleKind.ATTESTATION,
            title={"en": "The code of ethics", "ru": "Кодекс"},
            body={"en": "## The code\n\nBe honest, version two.", "ru": "## Кодекс\n\nЧестность."},
            settings={"document_version": document_version},
        )
    )
    db.session.add(course)
    db.session.commit()
    return course


def _sign(db, enrolment: Enrolment, module: Module, at: datetime, locale="en"):
    """Sign through the learner's own path (``accept_attestation``), as of ``at``."""
    progress.accept_attestation(
        db.session, enrolment, module, locale=locale, shown_at=at - timedelta(minutes=5), now=at
    )
    db.session.commit()


@pytest.fixture
def campus(db, make):
    """A course whose code of ethics went from 2026-1 (v1) to 2027-1 (v2), and people in each state."""
    v1 = build_course(
        db.session, slug="ethics", quiz=False, attestation=True, attestation_settings={"document_version": OLD}
    )
    v2 = _next_version(db, v1, NEW)
    faculty = make.unit("FIT", en="Faculty of IT")
    dept = make.unit("FIT-CS", parent=faculty, en="Computer Science")
    law = make.unit("LAW", en="Law school")
    people = {
        "ana": make.user(unit=dept, full_name="Ana Abenova", kind=PersonKind.STAFF),
        "bek": make.user(unit=faculty, full_name="Bek Bekov", kind=PersonKind.STAFF),
        "cira": make.user(unit=law, full_name="Cira Serikova"),
        "dan": make.user(unit=dept, full_name="Dan Dauletov"),
        "eva": make.user(unit=dept, full_name="Eva Ermekova"),
        "fay": make.user(unit=dept, full_name="Fay Farkhatova", active=False),
        "gul": make.user(unit=dept, full_name="Gul Galymova"),
    }
    # Ana signed the old version only: older.
    ana = enrol(db.session, people["ana"], v1)
    _sign(db, ana, module_of(v1, "code"), NOW - timedelta(days=300), locale="ru")
    # Bek signed the old version last year, the new one in this cycle: current, dated by the new one.
    bek1 = enrol(db.session, people["bek"], v1)
    _sign(db, bek1, module_of(v1, "code"), NOW - timedelta(days=400))
    bek2 = enrol(db.session, people["bek"], v2, cycle=2)
    _sign(db, bek2, module_of(v2, "code"), NOW - timedelta(days=2), locale="en")
    # Cira enrolled on v2, has not signed: none.
    enrol(db.session, people["cira"], v2)
    # Dan signed the new version: current.
    dan = enrol(db.session, people["dan"], v2)
    _sign(db, dan, module_of(v2, "code"), NOW - timedelta(days=1), locale="kk")
    # Eva was un-assigned, Fay left the university, Gul was never enrolled: none of them must sign.
    eva = enrol(db.session, people["eva"], v2)
    eva.status = EnrolmentStatus.CANCELLED
    enrol(db.session, people["fay"], v2)
    db.session.commit()
    return {"v1": v1, "v2": v2, "faculty": faculty, "dept": dept, "law": law, **people}


@pytest.fixture
def officer(make):
    return make.user(roles=[Role.OFFICER], kind=PersonKind.STAFF)


def _rows(db, **filters):
    query = register.register_query("ethics", "code", register.SignatureFilters(**filters))
    return {row.full_name.split()[0]: row for row in db.session.execute(query)}


def test_documents_and_their_current_version(db, campus):
    (document,) = documents.attested_documents(db.session)
    assert (document.ref, document.version) == ("ethics:code", NEW)  # the newest published version's
    assert document.label("ru") == "Кодекс этики — Кодекс"


def test_states_across_two_document_versions(db, campus):
    rows = _rows(db)
    assert {name: row.state for name, row in rows.items()} == {
        "Ana": "older",
        "Bek": "current",
        "Cira": "none",
        "Dan": "current",
    }
    assert (rows["Ana"].version, rows["Ana"].locale) == (OLD, "ru")
    assert (rows["Bek"].version, rows["Bek"].locale) == (NEW, "en")
    assert rows["Bek"].accepted_at.replace(tzinfo=UTC) == NOW - timedelta(days=2)  # the current signature's time
    assert rows["Cira"].version is None and rows["Cira"].accepted_at is None


def test_a_new_version_published_turns_current_into_older(db, campus):
    v3 = _next_version(db, campus["v1"], "2028-1", version=3)
    states = {name: row.state for name, row in _rows(db).items()}
    assert states == {"Ana": "older", "Bek": "older", "Cira": "none", "Dan": "older"}
    v3.status = CourseStatus.DRAFT  # a draft is not the current document
    db.session.commit()
    assert _rows(db)["Dan"].state == "current"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"state": "older"}, {"Ana"}),
        ({"state": "current"}, {"Bek", "Dan"}),
        ({"state": "none"}, {"Cira"}),
        ({"unit_id": "faculty"}, {"Ana", "Bek", "Dan"}),  # sub-units included
        ({"unit_id": "dept"}, {"Ana", "Dan"}),
        ({"unit_id": "faculty", "state": "current"}, {"Bek", "Dan"}),
        ({"search": "BEKOV"}, {"Bek"}),
        ({"search": "serik"}, {"Cira"}),
        ({"scope": ["dept"]}, {"Ana", "Dan"}),
        ({"scope": ["dept"], "unit_id": "law"}, set()),  # a unit outside the scope shows nobody
        ({"scope": []}, set()),
    ],
)
def test_filters_and_scope(db, campus, filters, expected):
    if "unit_id" in filters:
        filters["unit_id"] = campus[filters["unit_id"]].id
    if filters.get("scope"):
        filters["scope"] = [campus[name].path for name in filters["scope"]]
    assert set(_rows(db, **filters)) == expected


def test_counts_per_state(db, campus):
    assert register.signature_counts(db.session, "ethics", "code", None) == {
        "total": 4,
        "current": 2,
        "older": 1,
        "none": 1,
    }
    scoped = register.signature_counts(db.session, "ethics", "code", [campus["faculty"].path], campus["dept"].id)
    assert scoped == {"total": 2, "current": 1, "older": 1, "none": 0}


def test_a_persons_signatures(db, campus):
    rows = register.person_signatures(db.session, campus["bek"].id)
    assert [(r.version, r.course_version, r.cycle, bool(r.is_current), r.current_version) for r in rows] == [
        (NEW, 2, 2, True, NEW),
        (OLD, 1, 1, False, NEW),
    ]
    assert rows[0].sha256 == progress.document_sha256("## The code\n\nBe honest, version two.")


@time_machine.travel(NOW, tick=False)
def test_the_register_page(client, auth, db, campus, officer):
    auth.login(officer)
    page = client.get("/office/courses/signatures/").data.decode()
    assert "Signature register" in page
    assert 'data-count="total">4<' in page and 'data-count="older">1<' in page and 'data-count="none">1<' in page
    assert all(name in page for name in ("Ana Abenova", "Bek Bekov", "Cira Serikova", "Dan Dauletov"))
    assert "Eva Ermekova" not in page and "Fay Farkhatova" not in page and "Gul Galymova" not in page
    older = client.get("/office/courses/signatures/?doc=ethics:code&state=older").data.decode()
    assert "Ana Abenova" in older and "Bek Bekov" not in older
    assert "signed an older version" in older and "Русский" in older  # Ana signed in Russian
    unit = client.get(f"/office/courses/signatures/?unit={campus['dept'].id}").data.decode()
    assert "Dan Dauletov" in unit and "Bek Bekov" not in unit and "Cira Serikova" not in unit
    menu = client.get("/office/courses/").data.decode()
    assert "Signature register" in menu


@time_machine.travel(NOW, tick=False)
def test_unit_head_sees_and_exports_only_their_units(client, auth, make, db, campus):
    head = make.user(kind=PersonKind.STAFF)
    head.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=campus["dept"].id))
    db.session.commit()
    auth.login(head)
    page = client.get("/office/courses/signatures/").data.decode()
    assert "Ana Abenova" in page and "Dan Dauletov" in page
    assert "Bek Bekov" not in page and "Cira Serikova" not in page
    assert 'data-count="total">2<' in page
    # Naming a unit outside their scope shows nothing, not that unit.
    other = client.get(f"/office/courses/signatures/?unit={campus['law'].id}").data.decode()
    assert "Cira Serikova" not in other and 'data-count="total">0<' in other
    exported = client.get("/office/courses/signatures/export.csv").data.decode("utf-8-sig")
    assert "Ana Abenova" in exported and "Bek Bekov" not in exported and "Cira Serikova" not in exported


@time_machine.travel(NOW, tick=False)
def test_csv_export_columns_and_content(client, auth, db, campus, officer):
    auth.login(officer)
    response = client.get(f"/office/courses/signatures/export.csv?doc=ethics:code&unit={campus['faculty'].id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="signatures-ethics-code.csv"'
    reader = csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")))
    assert reader.fieldnames == [
        "Name",
        "E-mail",
        "Org unit",
        "Signature",
        "Version signed",
        "Signed",
        "Language",
        "SHA-256 of the text signed",
    ]
    rows = {r["Name"]: r for r in reader}
    assert list(rows) == ["Ana Abenova", "Bek Bekov", "Dan Dauletov"]
    ana, bek = rows["Ana Abenova"], rows["Bek Bekov"]
    assert (ana["Signature"], ana["Version signed"], ana["Language"], ana["Org unit"]) == (
        "signed an older version",
        OLD,
        "Русский",
        "Computer Science",
    )
    assert (bek["Signature"], bek["Version signed"]) == ("signed the current version", NEW)
    assert bek["Signed"] == "2026-11-18 12:00:00"  # 07:00 UTC is noon in Almaty
    assert len(bek["SHA-256 of the text signed"]) == 64
    older = client.get("/office/courses/signatures/export.csv?state=none").data.decode("utf-8-sig")
    (cira,) = list(csv.DictReader(io.StringIO(older)))
    assert (cira["Name"], cira["Signature"], cira["Signed"]) == ("Cira Serikova", "not signed", "")
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "courses.signatures_export")).all()
    assert [e.details["state"] for e in event] == [None, "none"]
    assert event[0].actor_id == officer.id


@time_machine.travel(NOW, tick=False)
def test_xlsx_export(client, auth, db, campus, make):
    officer = make.user(roles=[Role.OFFICER], kind=PersonKind.STAFF, locale="ru")
    auth.login(officer)
    response = client.get("/office/courses/signatures/export.xlsx?state=older")
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(rows) == 1 and rows[0][0] == "Ana Abenova"
    assert len(header) == len(register.REGISTER_COLUMNS)
    assert rows[0][5] == datetime(2026, 1, 24, 12, 0)  # the signing time, local


@time_machine.travel(NOW, tick=False)
def test_progress_export_has_the_signature_column(client, auth, db, campus, officer, make):
    auth.login(officer)
    text = client.get("/office/courses/progress/ethics/export.csv").data.decode("utf-8-sig")
    rows = {r["Name"]: r["Signed document"] for r in csv.DictReader(io.StringIO(text))}
    assert rows["Ana Abenova"] == (
        "The code of ethics: signed an older version (2026-1) on Jan 24, 2026; the current one is 2027-1"
    )
    assert rows["Bek Bekov"] == "The code of ethics: signed version 2027-1 on Nov 18, 2026"
    assert rows["Cira Serikova"] == "The code of ethics: not signed"
    # A course without a document to sign leaves the column empty.
    other = build_course(db.session, slug="quiz-only")
    enrol(db.session, make.user(full_name="Zara Zhanova"), other)
    text = client.get("/office/courses/progress/quiz-only/export.csv").data.decode("utf-8-sig")
    (zara,) = list(csv.DictReader(io.StringIO(text)))
    assert zara["Signed document"] == ""


@time_machine.travel(NOW, tick=False)
def test_person_page_lists_every_signature(client, auth, db, campus, officer):
    auth.login(officer)
    page = client.get(f"/office/courses/people/{campus['bek'].id}").data.decode()
    section = page[page.index('id="signed-documents"') :]
    assert section.count("The code of ethics") == 2
    assert NEW in section and OLD in section
    assert 'data-current="yes"' in section and 'data-current="no"' in section
    assert "older: the current one is 2027-1" in section
    assert "Nov 18, 2026" in section
    cira = client.get(f"/office/courses/people/{campus['cira'].id}").data.decode()
    assert "Has not signed any document." in cira


def test_the_register_is_refused_to_learners(client, auth, make, db, campus):
    auth.login(make.user())
    for url in ("/office/courses/signatures/", "/office/courses/signatures/export.csv"):
        assert client.get(url).status_code == 403, url
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "courses.signatures_export")).all() == []


def test_no_document_to_sign(client, auth, db, officer):
    build_course(db.session, slug="quiz-only")
    auth.login(officer)
    page = client.get("/office/courses/signatures/")
    assert page.status_code == 200 and b"No published course holds a document to sign." in page.data
    assert client.get("/office/courses/signatures/export.csv").status_code == 404


def _crowd(db, make, campus, n):
    """``n`` more people in the law school, a third in each state."""
    for i in range(n):
        person = make.user(unit=campus["law"])
        course = campus["v1"] if i % 3 == 1 else campus["v2"]
        enrolment = enrol(db.session, person, course)
        if i % 3 != 2:
            _sign(db, enrolment, module_of(course, "code"), NOW - timedelta(days=i + 1))


def _queries_for(client, count_queries, url):
    with count_queries() as statements:
        response = client.get(url)
        body = response.data  # a streamed response runs its queries while read
    assert response.status_code == 200, url
    return len(statements), body


URLS = [
    "/office/courses/signatures/",
    "/office/courses/signatures/?state=older&unit={law}&q=person",
    "/office/courses/signatures/export.csv",
    "/office/courses/signatures/export.xlsx?state=current",
    "/office/courses/progress/ethics/export.csv",
    "/office/courses/people/{bek}",
]


@time_machine.travel(NOW, tick=False)
def test_queries_do_not_grow_with_people(client, auth, make, db, campus, officer, count_queries):
    auth.login(officer)
    ids = {"law": campus["law"].id, "bek": campus["bek"].id}
    _crowd(db, make, campus, 5)
    few = {url: _queries_for(client, count_queries, url.format(**ids))[0] for url in URLS}
    _crowd(db, make, campus, 45)
    many = {url: _queries_for(client, count_queries, url.format(**ids))[0] for url in URLS}
    assert few == many
    assert max(many.values()) <= 12
    counts = register.signature_counts(db.session, "ethics", "code", None)
    assert counts["total"] == 4 + 50


def test_the_bundled_code_of_ethics_through_a_new_version(db, make):
    """The pack as the office imports it, a signature, then an author publishes the code's next version."""
    folder = next(f for f in bundled_pack_folders() if f.name == "code-of-ethics")
    first = import_pack(db.session, load_pack(folder), publish=True)
    person = make.user(kind=PersonKind.STAFF)
    enrolment = enrol(db.session, person, first)
    (document,) = documents.attested_documents(db.session)
    assert (document.slug, document.key, document.version) == ("code-of-ethics", "code-acceptance", "2026-1")
    _sign(db, enrolment, module_of(first, "code-acceptance"), NOW)
    assert register.signature_counts(db.session, "code-of-ethics", "code-acceptance", None)["current"] == 1

    draft = versioning.new_draft_version(db.session, first)
    code = module_of(draft, "code-acceptance")
    code.settings = {**code.settings, "document_version": "2027-1"}
    versioning.publish(db.session, draft)
    db.session.commit()
    counts = register.signature_counts(db.session, "code-of-ethics", "code-acceptance", None)
    assert counts == {"total": 1, "current": 0, "older": 1, "none": 0}
    (row,) = db.session.execute(
        register.register_query("code-of-ethics", "code-acceptance", register.SignatureFilters())
    )
    assert (row.state, row.version) == ("older", "2026-1")
