"""The demo: the compliance officer handles cases, the admin is the custodian, one report waits."""

from sqlalchemy import select

from concerns.demo import CUSTODIAN, OFFICER, seed_demo_cases
from concerns.models import Case
from lms.extensions import db
from lms.models import Role


def test_the_demo_office_has_a_handler_a_custodian_and_a_case(make):
    officer = make.user(OFFICER, roles=[Role.OFFICER])
    admin = make.user(CUSTODIAN, roles=[Role.ADMIN])
    seed_demo_cases(db.session)
    seed_demo_cases(db.session)  # once only
    db.session.commit()
    assert Role.CASE_HANDLER in officer.role_names and Role.CUSTODIAN in admin.role_names
    cases = db.session.scalars(select(Case)).all()
    assert len(cases) == 1 and cases[0].anonymous and len(cases[0].messages) == 1
