"""The office keeps the org tree: units with kk/ru/en names, moved with their sub-units."""

import pytest
from sqlalchemy import select

from lms.models import AuditEvent, OrgUnit, Role


@pytest.fixture
def officer(auth, make):
    person = make.user(roles=[Role.OFFICER])
    auth.login(person)
    return person


def _unit(db, code):
    db.session.expire_all()
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def _post(client, code, parent=None, kind="department", url="/office/units/new"):
    data = {
        "code": code,
        "parent_id": str(parent.id) if parent else "",
        "kind": kind,
        "name_kk": f"{code} бөлімі",
        "name_ru": f"Отдел {code}",
        "name_en": f"Unit {code}",
    }
    return client.post(url, data=data)


def test_learners_cannot_open_the_tree(client, auth, make):
    auth.login(make.user())
    assert client.get("/office/units/").status_code == 403
    assert client.post("/office/units/new", data={"code": "X"}).status_code == 403


def test_officer_builds_the_tree_and_moves_a_faculty_with_its_departments(client, officer, db):
    assert _post(client, "METU", kind="university").status_code == 302
    metu = _unit(db, "METU")
    _post(client, "FIT", metu, "faculty")
    _post(client, "IT-INST", metu, "institute")
    _post(client, "FIT-CS", _unit(db, "FIT"))
    assert _unit(db, "FIT-CS").path == f"{metu.path}{_unit(db, 'FIT').id}/{_unit(db, 'FIT-CS').id}/"
    page = client.get("/office/units/").get_data(as_text=True)
    assert page.index("Unit FIT") < page.index("Unit FIT-CS")

    fit, institute = _unit(db, "FIT"), _unit(db, "IT-INST")
    assert _post(client, "FIT", institute, "faculty", url=f"/office/units/{fit.id}").status_code == 302
    assert _unit(db, "FIT").path == f"{institute.path}{fit.id}/"
    assert _unit(db, "FIT-CS").path.startswith(_unit(db, "FIT").path)
    assert db.session.scalars(select(AuditEvent.action)).all().count("units.save") == 5


def test_a_unit_cannot_go_under_its_own_sub_unit_or_reuse_a_code(client, officer, db, make):
    top = make.unit("TOP")
    child = make.unit("CHILD", parent=top)
    response = _post(client, "TOP", child, url=f"/office/units/{top.id}")
    assert response.status_code == 200  # refused: its own sub-unit is not even offered as a parent
    assert b"Not a valid choice" in response.data
    assert f'value="{child.id}"' not in client.get(f"/office/units/{top.id}").get_data(as_text=True)
    clash = _post(client, "child")
    assert b"already used" in clash.data
    assert _unit(db, "TOP").path == f"/{top.id}/"
