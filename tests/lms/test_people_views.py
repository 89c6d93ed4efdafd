"""The office's people pages: access, list filters and scope, edits, roles, deactivation, web import."""

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.models import AuditEvent, PersonKind, Role, User, UserRole

DATA = Path(__file__).parent / "data"

OFFICE_GETS = ["/office/people/", "/office/people/import", "/office/audit/", "/office/audit/export.csv"]


def _actions(db) -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


@pytest.fixture
def units(make):
    fit = make.unit("FIT", kind="faculty")
    return {"FIT": fit, "FIT-CS": make.unit("FIT-CS", parent=fit), "LAW": make.unit("LAW", kind="faculty")}


@pytest.fixture
def officer(make):
    return make.user("officer@example.kz", roles=[Role.OFFICER], kind=PersonKind.STAFF)


def _person_routes(person_id: int) -> list[tuple[str, str]]:
    return [
        ("get", f"/office/people/{person_id}"),
        ("post", f"/office/people/{person_id}"),
        ("post", f"/office/people/{person_id}/active"),
        ("post", "/office/people/import"),
        ("get", "/office/people/import/" + "a" * 32),
        ("post", "/office/people/import/" + "a" * 32 + "/apply"),
    ]


def test_every_office_route_refuses_a_learner(client, auth, make):
    learner = make.user()
    auth.login(learner)
    for url in OFFICE_GETS:
        assert client.get(url).status_code == 403, url
    for method, url in _person_routes(learner.id):
        assert getattr(client, method)(url).status_code == 403, url


def test_every_office_route_sends_a_visitor_to_sign_in(client, make):
    person = make.user()
    for url in OFFICE_GETS:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    for method, url in _person_routes(person.id):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_list_searches_and_filters(client, auth, officer, make, units):
    make.user("aigerim@example.kz", full_name="Aigerim Nurlanova", unit=units["FIT-CS"])
    make.user("ivan@example.kz", full_name="Ivan Petrov", unit=units["LAW"], kind=PersonKind.STAFF)
    make.user("gone@example.kz", full_name="Gone Person", unit=units["FIT"], active=False)
    make.user("dana@example.kz", full_name="Дана Серікқызы", unit=units["LAW"])
    auth.login(officer)

    def names(**query):
        html = client.get("/office/people/", query_string=query).get_data(as_text=True)
        return set(re.findall(r'href="/office/people/\d+">([^<]+)</a>', html))

    assert names() == {"Aigerim Nurlanova", "Ivan Petrov", "Дана Серікқызы", officer.full_name}
    assert names(q="NURLAN") == {"Aigerim Nurlanova"}
    assert names(q="ерікқызы") == {"Дана Серікқызы"}
    assert names(q="дана") == {"Дана Серікқызы"}
    assert names(q="ivan@") == {"Ivan Petrov"}
    assert names(unit=units["FIT"].id, active="") == {"Aigerim Nurlanova", "Gone Person"}  # with sub-units
    assert names(kind="staff") == {"Ivan Petrov", officer.full_name}
    assert names(role="officer") == {officer.full_name}
    assert names(active="no") == {"Gone Person"}


def test_list_query_count_does_not_grow_with_people(client, auth, officer, *, make, units, count_queries):
    auth.login(officer)

    def queries() -> int:
        with count_queries() as statements:
            assert client.get("/office/people/", query_string={"unit": units["FIT"].id}).status_code == 200
        return len(statements)

    for n in range(3):
        make.user(unit=units["FIT-CS"], roles=[Role.AUTHOR] if n else ())
    few = queries()
    for n in range(30):
        make.user(unit=units["FIT-CS"], roles=[Role.AUTHOR] if n % 2 else ())
    assert queries() == few


def test_scoped_officer_sees_only_their_units(client, auth, make, units):
    head = make.user("head@example.kz", unit=units["FIT"])
    head.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=units["FIT"].id))
    make.session.commit()
    inside = make.user(full_name="Inside Person", unit=units["FIT-CS"])
    outside = make.user(full_name="Outside Person", unit=units["LAW"])
    auth.login(head)
    html = client.get("/office/people/").get_data(as_text=True)
    assert "Inside Person" in html and "Outside Person" not in html
    assert client.get(f"/office/people/{inside.id}").status_code == 200
    assert client.get(f"/office/people/{outside.id}").status_code == 404
    assert client.post(f"/office/people/{outside.id}/active", data={"active": "0"}).status_code == 404


def test_edit_person_and_roles_are_audited(client, auth, officer, *, make, units, db):
    person = make.user("p@example.kz", full_name="Old Name", unit=units["FIT"])
    auth.login(officer)
    response = client.post(
        f"/office/people/{person.id}",
        data={
            "full_name": "New Name",
            "kind": "staff",
            "org_unit_id": units["LAW"].id,
            "study_group": "",
            "position": "Lecturer",
            "locale": "ru",
            "roles": ["author"],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert (person.full_name, person.kind, person.org_unit_id, person.position, person.locale) == (
        "New Name",
        "staff",
        units["LAW"].id,
        "Lecturer",
        "ru",
    )
    assert person.role_names == {"author"}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("people.%"))).all()
    assert [(e.action, e.details) for e in events][-1] == ("people.role_grant", {"role": "author"})
    assert "people.update" in [e.action for e in events]


def _edit(client, person, units, roles):
    return client.post(
        f"/office/people/{person.id}",
        data={
            "full_name": person.full_name,
            "kind": person.kind,
            "org_unit_id": units["FIT"].id,
            "locale": "en",
            "roles": roles,
        },
    )


def test_only_admins_grant_admin(client, auth, officer, *, make, units, db):
    person = make.user(unit=units["FIT"])
    auth.login(officer)
    _edit(client, person, units, ["admin"])  # the disabled box is ignored for officers
    db.session.expire_all()
    assert db.session.get(User, person.id).role_names == set()
    admin = make.user("admin@example.kz", roles=[Role.ADMIN])
    auth.logout()
    auth.login(admin)
    _edit(client, person, units, ["admin", "officer"])
    db.session.expire_all()
    assert db.session.get(User, person.id).role_names == {"admin", "officer"}
    response = _edit(client, admin, units, [])
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, admin.id).role_names == {"admin"}  # nobody drops their own admin role


def test_officer_cannot_take_admin_away(client, auth, officer, *, make, units, db):
    admin = make.user("boss@example.kz", roles=[Role.ADMIN], unit=units["FIT"])
    auth.login(officer)
    _edit(client, admin, units, ["author"])
    db.session.expire_all()
    assert db.session.get(User, admin.id).role_names == {"admin", "author"}
    client.post(f"/office/people/{admin.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert db.session.get(User, admin.id).active is True


def test_deactivate_and_reactivate(client, auth, officer, *, make, units, db):
    person = make.user(unit=units["FIT"])
    auth.login(officer)
    client.post(f"/office/people/{person.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert db.session.get(User, person.id).active is False
    client.post(f"/office/people/{person.id}/active", data={"active": "1"})
    db.session.expire_all()
    assert db.session.get(User, person.id).active is True
    client.post(f"/office/people/{officer.id}/active", data={"active": "0"})
    db.session.expire_all()
    assert db.session.get(User, officer.id).active is True
    assert _actions(db)[-3:] == ["people.deactivate", "people.sessions_ended", "people.reactivate"]


def _upload(client, name: str, data: bytes | None = None):
    data = data if data is not None else (DATA / name).read_bytes()
    response = client.post(
        "/office/people/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def test_web_import_dry_run_then_apply(client, auth, officer, *, units, db, app):
    auth.login(officer)
    review = _upload(client, "students_cp1251.csv")
    token = review.rsplit("/", 1)[-1]
    page = client.get(review).get_data(as_text=True)
    assert 'id="count-create">3<' in page
    assert db.session.scalar(select(func.count(User.id))) == 1  # the dry run wrote nothing
    assert list((Path(app.config["ADAL_STORAGE_PATH"]) / "imports").glob(f"{token}.*"))
    response = client.post(f"{review}/apply", data={"apply": "1"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(User.id))) == 4
    assert _actions(db)[-1] == "people.import"
    assert not list((Path(app.config["ADAL_STORAGE_PATH"]) / "imports").glob(f"{token}.*"))
    assert client.get(review).status_code == 404  # the kept file is gone


def test_web_import_with_rejects_needs_only_valid(client, auth, officer, units, db):
    auth.login(officer)
    review = _upload(client, "bad_rows_tab.csv")
    page = client.get(review).get_data(as_text=True)
    assert 'id="count-reject">6<' in page
    assert "no org unit has the code “NOPE”" in page
    refused = client.post(f"{review}/apply", data={"apply": "1"})
    assert refused.headers["Location"].endswith(review)
    assert db.session.scalar(select(func.count(User.id))) == 1
    client.post(f"{review}/apply", data={"apply_valid": "1"})
    assert db.session.scalar(select(func.count(User.id))) == 3


def test_apply_replans_against_the_database_as_it_is_now(client, auth, officer, *, units, db, make):
    auth.login(officer)
    review = _upload(client, "staff_kk_comma.csv")
    make.user("serik@example.kz", full_name="Серік Қанатұлы", unit=units["FIT"])  # arrives in between
    client.post(f"{review}/apply", data={"apply": "1"})
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "people.import")).one()
    assert (event.details["create"], event.details["update"]) == (1, 1)


def test_kept_upload_belongs_to_its_uploader(client, auth, officer, make, units):
    auth.login(officer)
    review = _upload(client, "students_bom.csv")
    other = make.user("other@example.kz", roles=[Role.OFFICER])
    auth.logout()
    auth.login(other)
    assert client.get(review).status_code == 404
    assert client.post(f"{review}/apply", data={"apply": "1"}).status_code == 404
    assert client.get("/office/people/import/../../etc").status_code == 404


def test_unreadable_file_goes_back_to_the_form(client, auth, officer):
    auth.login(officer)
    response = client.post(
        "/office/people/import",
        data={"file": (io.BytesIO(b"just;some;words\n1;2;3\n"), "nothing.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "Required columns are missing" in response.get_data(as_text=True)


def test_upload_form_needs_csrf(app, client, auth, officer):
    auth.login(officer)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(
            "/office/people/import",
            data={"file": (io.BytesIO(b"x"), "a.csv")},
            content_type="multipart/form-data",
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400


def test_person_page_shows_current_roles_and_unit(client, auth, officer, make, units):
    person = make.user(unit=units["FIT-CS"], roles=[Role.AUTHOR])
    auth.login(officer)
    html = client.get(f"/office/people/{person.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="author"|<input[^>]*value="author"[^>]*checked', html)
    assert not re.search(r'<input[^>]*checked[^>]*value="officer"|<input[^>]*value="officer"[^>]*checked', html)
    assert re.search(
        rf'<option selected value="{units["FIT-CS"].id}"|<option value="{units["FIT-CS"].id}" selected', html
    )
    assert re.search(r'<input[^>]*disabled[^>]*value="admin"|<input[^>]*value="admin"[^>]*disabled', html)


def test_web_import_of_an_excel_file_with_an_update(client, auth, *, officer, units, db, make):
    from openpyxl import Workbook

    make.user("dana@example.kz", full_name="Dana Old", unit=units["FIT"])
    workbook = Workbook()
    workbook.active.append(["email", "ФИО", "түрі", "unit", "group"])
    workbook.active.append(["DANA@example.kz", "Дана Серікқызы", "студент", "FIT-CS", "CS-1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    auth.login(officer)
    review = _upload(client, "people.xlsx", buffer.getvalue())
    page = client.get(review).get_data(as_text=True)
    assert 'id="count-update">1<' in page
    assert "update: full name, unit, group" in page
    client.post(f"{review}/apply", data={"apply": "1"})
    db.session.expire_all()
    dana = db.session.scalars(select(User).where(User.email == "dana@example.kz")).one()
    assert (dana.full_name, dana.org_unit_id, dana.study_group) == ("Дана Серікқызы", units["FIT-CS"].id, "CS-1")


def test_scoped_officer_imports_only_into_their_units(client, auth, make, units, db):
    head = make.user("head@example.kz", unit=units["FIT"])
    head.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=units["FIT"].id))
    make.session.commit()
    auth.login(head)
    review = _upload(client, "students_bom.csv")  # one of the three is in LAW
    page = client.get(review).get_data(as_text=True)
    assert 'id="count-reject">1<' in page and "outside the units you manage" in page
    client.post(f"{review}/apply", data={"apply_valid": "1"})
    emails = set(db.session.scalars(select(User.email)))
    assert "ivan.petrov@example.kz" not in emails and "john.smith@example.kz" in emails
