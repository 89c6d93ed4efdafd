"""The case handlers: who opens cases, the list and its deadlines, messages and notes, the history, reminders."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from concerns import crypto
from concerns.handling import deadlines
from concerns.jobs import remind_handlers
from concerns.models import Case, CaseEvent, CaseStatistic
from lms.extensions import db
from lms.models import OutboxMessage, Role
from lms.people.directory import RoleChangeRefused, set_roles
from tests.concerns.helpers import WHAT, report_directly, report_through_form


@pytest.fixture
def handler(make):
    return make.user(roles=[Role.CASE_HANDLER], full_name="Handler Hanna")


def _case() -> Case:
    return db.session.scalar(select(Case))


def test_a_handler_reads_the_case_and_the_read_is_recorded(client, auth, handler):
    receipt = report_directly(where="Library")
    auth.login(handler)
    listing = client.get("/cases/")
    assert listing.status_code == 200 and receipt.number.encode() in listing.data
    page = client.get(f"/cases/{receipt.number}")
    assert page.status_code == 200 and WHAT.encode() in page.data.replace(b"&#39;", b"'")
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.action == "read")).all()
    assert [e.actor_id for e in events] == [handler.id]
    assert b"Handler Hanna" in client.get(f"/cases/{receipt.number}").data  # the history names who read it


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER, Role.CUSTODIAN, Role.AUTHOR])
def test_other_roles_get_404_on_a_real_case(client, auth, make, role):
    receipt = report_directly()
    auth.login(make.user(roles=[role]))
    for url in ("/cases/", f"/cases/{receipt.number}", "/cases/handlers"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/cases/{receipt.number}/messages", data={"text": "hi"}).status_code == 404
    assert not _case().messages


def test_messages_reach_the_reporter_notes_do_not(client, auth, handler):
    receipt = report_directly()
    auth.login(handler)
    client.post(f"/cases/{receipt.number}/messages", data={"text": "Which course was it?"})
    client.post(f"/cases/{receipt.number}/notes", data={"note": "Check the exam list"})
    auth.logout()
    reporter = client.post("/report/follow-up", data={"number": receipt.number, "code": receipt.code})
    assert b"Which course was it?" in reporter.data and b"Check the exam list" not in reporter.data
    case = _case()
    assert case.first_answer_on == case.received_on
    assert db.session.scalar(select(CaseStatistic.days_to_first_answer)) == 0
    assert all(b"Which course" not in m.body.encode() for m in case.messages)  # stored encrypted


def test_status_moves_forward_and_closing_counts_the_outcome(client, auth, handler):
    receipt = report_directly()
    auth.login(handler)
    url = f"/cases/{receipt.number}/status"
    client.post(url, data={"status": "under_review"})
    assert _case().status == "under_review" and _case().acknowledged_on is not None
    client.post(url, data={"status": "acknowledged"})  # backwards: refused
    client.post(url, data={"status": "closed"})  # without an outcome: refused
    db.session.expire_all()
    assert _case().status == "under_review"
    client.post(url, data={"status": "closed", "outcome": "substantiated"})
    db.session.expire_all()
    statistic = db.session.scalar(select(CaseStatistic))
    assert (_case().status, statistic.outcome, statistic.days_to_close) == ("closed", "substantiated", 0)
    reporter = client.post("/report/follow-up", data={"number": receipt.number, "code": receipt.code})
    assert b"Closed \xe2\x80\x94 substantiated" in reporter.data


def test_deadlines_follow_the_settings(db):
    case = Case(received_on=date(2026, 1, 10), status="new")
    due = deadlines(case, on=date(2026, 1, 18))
    assert due.acknowledge_by == date(2026, 1, 17) and due.feedback_by == date(2026, 4, 10)
    assert due.overdue == "acknowledge"
    case.status = "acknowledged"
    assert deadlines(case, on=date(2026, 4, 11)).overdue == "feedback"
    case.first_answer_on = date(2026, 2, 1)
    assert deadlines(case, on=date(2026, 4, 11)).overdue is None


def test_handlers_are_reminded_once_a_day_without_the_contents(app, handler, make):
    make.user(roles=[Role.OFFICER])  # not a handler: not told
    report_directly()
    case = _case()
    case.received_on -= timedelta(days=8)
    db.session.commit()
    day = case.received_on + timedelta(days=8)
    assert remind_handlers(db.session, day) == 1
    assert remind_handlers(db.session, day) == 0  # reminded today already
    db.session.commit()
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert [m.to_addr for m in messages] == [handler.email]
    assert "needs attention" in messages[0].subject
    assert case.number not in messages[0].body_text and WHAT not in messages[0].body_text
    assert "bribery" not in messages[0].body_text.lower()


def test_a_handler_names_another_handler(client, auth, handler, make):
    colleague = make.user(email="colleague@example.kz")
    auth.login(handler)
    client.post("/cases/handlers", data={"email": "Colleague@example.kz"})
    db.session.expire_all()
    assert Role.CASE_HANDLER in colleague.role_names


def test_only_an_admin_grants_the_case_roles_on_a_persons_page(make):
    officer, admin, person = make.user(roles=[Role.OFFICER]), make.user(roles=[Role.ADMIN]), make.user()
    with pytest.raises(RoleChangeRefused):
        set_roles(db.session, officer, {Role.OFFICER, Role.CASE_HANDLER}, officer)
    set_roles(db.session, person, {Role.CASE_HANDLER}, admin)
    assert person.role_names == {Role.CASE_HANDLER}


def test_a_handler_downloads_a_file_and_it_is_recorded(client, auth, handler):
    report_through_form(client, files=[(io.BytesIO(b"plain evidence"), "evidence.txt")])
    case = _case()
    auth.login(handler)
    download = client.get(f"/cases/{case.number}/files/{case.files[0].id}")
    assert download.data == b"plain evidence" and "evidence.txt" in download.headers["Content-Disposition"]
    assert db.session.scalar(select(CaseEvent.id).where(CaseEvent.action == "file_read")) is not None
    assert crypto.decrypt_text(case.files[0].name) == "evidence.txt"


def test_an_admin_makes_the_first_handler_on_the_persons_page(client, auth, make):
    admin, person = make.user(roles=[Role.ADMIN]), make.user(full_name="First Handler")
    auth.login(admin)
    page = client.get(f"/office/people/{person.id}").get_data(as_text=True)
    assert 'value="case_handler"' in page and 'value="custodian"' in page
    form = {"full_name": person.full_name, "kind": "student", "org_unit_id": 0, "locale": "en"}
    client.post(f"/office/people/{person.id}", data={**form, "roles": ["case_handler"]})
    db.session.expire_all()
    assert person.role_names == {Role.CASE_HANDLER}
    auth.logout()
    auth.login(person)
    assert client.get("/cases/").status_code == 200


def test_an_officer_keeps_a_handler_a_handler_when_editing_the_person(client, auth, make):
    officer, handler = make.user(roles=[Role.OFFICER]), make.user(roles=[Role.CASE_HANDLER])
    auth.login(officer)
    assert b"disabled" in client.get(f"/office/people/{handler.id}").data
    form = {"full_name": "Renamed", "kind": "student", "org_unit_id": 0, "locale": "en", "roles": ["author"]}
    client.post(f"/office/people/{handler.id}", data=form)
    db.session.expire_all()
    assert handler.role_names == {Role.CASE_HANDLER, Role.AUTHOR} and handler.full_name == "Renamed"


def test_a_handler_sets_the_unit_concerned(client, auth, handler, make):
    unit = make.unit(en="Faculty of Law")
    receipt = report_directly()
    auth.login(handler)
    client.post(f"/cases/{receipt.number}/unit", data={"unit_id": unit.id})
    assert _case().unit_id == unit.id
    assert b"Faculty of Law" in client.get("/cases/").data
