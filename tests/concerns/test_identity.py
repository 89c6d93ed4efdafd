"""A reporter's identity is shown to a handler only after a custodian, someone else, approves."""

import re

import pytest
from sqlalchemy import select

from concerns.models import Case, CaseEvent, IdentityRequest
from lms.extensions import db
from lms.models import AuditEvent as Audit
from lms.models import Role
from tests.concerns.helpers import report_directly

NAME = "Aigerim Sadykova"


@pytest.fixture
def named_case():
    return report_directly(name=NAME, contact="+7 701 555 44 33")


def test_the_identity_needs_a_custodians_approval(client, auth, make, named_case):
    handler = make.user(roles=[Role.CASE_HANDLER])
    custodian = make.user(roles=[Role.CUSTODIAN])
    auth.login(handler)
    page = client.get(f"/cases/{named_case.number}").get_data(as_text=True)
    assert NAME not in page and "shown after a custodian approves" in page
    client.post(f"/cases/{named_case.number}/identity", data={"reason": "We must interview the witness"})
    assert NAME not in client.get(f"/cases/{named_case.number}").get_data(as_text=True)  # still waiting
    auth.logout()

    auth.login(custodian)
    waiting = client.get("/cases/custody").get_data(as_text=True)
    assert "We must interview the witness" in waiting and NAME not in waiting
    assert client.get(f"/cases/{named_case.number}").status_code == 404  # a custodian does not read cases
    request = db.session.scalar(select(IdentityRequest))
    client.post(f"/cases/custody/{request.id}", data={"approve": "Approve"})
    auth.logout()

    auth.login(handler)
    assert NAME in client.get(f"/cases/{named_case.number}").get_data(as_text=True)
    actions = [e.action for e in db.session.scalars(select(CaseEvent).order_by(CaseEvent.id))]
    assert {"identity_requested", "identity_approved", "identity_shown"} <= set(actions)
    audits = [a.action for a in db.session.scalars(select(Audit).order_by(Audit.id))]
    assert {"concerns.identity_request", "concerns.identity_approved", "concerns.identity_shown"} <= set(audits)
    everything = " ".join(str(a.details) for a in db.session.scalars(select(Audit)))
    assert "interview" not in everything and NAME not in everything  # the reason stays encrypted


def test_a_custodian_cannot_approve_their_own_request(client, auth, make, named_case):
    both = make.user(roles=[Role.CASE_HANDLER, Role.CUSTODIAN])
    auth.login(both)
    client.post(f"/cases/{named_case.number}/identity", data={"reason": "curious"})
    request = db.session.scalar(select(IdentityRequest))
    client.post(f"/cases/custody/{request.id}", data={"approve": "Approve"})
    db.session.expire_all()
    assert db.session.get(IdentityRequest, request.id).approved is None
    assert NAME not in client.get(f"/cases/{named_case.number}").get_data(as_text=True)


def test_a_refused_request_shows_nothing(client, auth, make, named_case):
    handler, custodian = make.user(roles=[Role.CASE_HANDLER]), make.user(roles=[Role.CUSTODIAN])
    auth.login(handler)
    client.post(f"/cases/{named_case.number}/identity", data={"reason": "curious"})
    auth.logout()
    auth.login(custodian)
    client.post(f"/cases/custody/{db.session.scalar(select(IdentityRequest.id))}", data={"refuse": "Refuse"})
    auth.logout()
    auth.login(handler)
    assert NAME not in client.get(f"/cases/{named_case.number}").get_data(as_text=True)


def test_an_anonymous_case_has_no_identity_to_ask_for(client, auth, make):
    receipt = report_directly()
    auth.login(make.user(roles=[Role.CASE_HANDLER]))
    client.post(f"/cases/{receipt.number}/identity", data={"reason": "curious"})
    assert db.session.scalar(select(IdentityRequest)) is None
    assert db.session.scalar(select(Case)).anonymous


def test_the_audit_log_tells_identity_events_in_words_without_contents(client, auth, make, named_case):
    handler = make.user(roles=[Role.CASE_HANDLER], full_name="Hanna")
    auth.login(handler)
    client.post(f"/cases/{named_case.number}/identity", data={"reason": "must interview"})
    auth.logout()
    auth.login(make.user(roles=[Role.ADMIN]))
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/office/audit/").get_data(as_text=True)))
    assert "Hanna asked to see who reported a case" in page
    assert "must interview" not in page and named_case.number not in page and NAME not in page
