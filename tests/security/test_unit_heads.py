"""Unit heads, for real: made on the person's page, and shown nothing outside their units by any route.

A unit head is an officer whose role is scoped to an org unit (and its sub-units). The world
below has two faculties: A, whose head signs in, and B, where a person with a name and an
address found nowhere else has an enrolment, a quiz attempt, a signature, a certificate, e-mails
and audit events. ``test_no_office_page_shows_another_units_person`` asks every GET route under
``/office/`` (read from the app's URL map, so routes added later are asked too) with B's ids in
its path and in the usual filters, and looks for B's person in every answer: HTML, JSON, CSV,
XLSX and zip members, PDF text.
"""

import io
import json
import re
import subprocess
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice, product

import pytest
from sqlalchemy import select

from courses.certificates import exports, issuing
from courses.models import Assignment, Attestation, EnrolmentStatus, QuizAttempt
from lms.audit import trail
from lms.database import utcnow
from lms.mail.outbox import enqueue_email
from lms.models import AuditEvent, OutboxMessage, PersonKind, Role, User, UserRole
from lms.people import directory
from lms.people.uploads import keep_upload
from tests.campaigns.helpers import make_campaign
from tests.courses.builders import build_course, enrol, module_of

#: B's person: words that appear in no other row of the world.
OUTSIDER_NAME = "Zeynep Outsiderova"
OUTSIDER_EMAIL = "zeynep.outsider@unit-b.example"
MARKERS = ("outsiderova", "zeynep.outsider")
INSIDER_NAME = "Aruzhan Insidebek"
#: What an office page may answer a unit head: never an error of the server.
ALLOWED = {200, 302, 403, 404}
#: Filters the office's lists and reports take; each route is also asked with these set to B's.
FILTER_NAMES = ("unit", "unit_id", "q", "user_id", "person")
#: At most this many combinations of path values per route.
MAX_COMBINATIONS = 8


@dataclass
class World:
    """Two faculties, their people and objects; ``a`` and ``b`` hold each side's URL arguments."""

    head: User
    officer: User
    admin: User
    insider: User
    learner_a: User
    outsider: User
    university_id: int
    a: dict
    b: dict


def _message(session, user: User, key: str) -> OutboxMessage:
    message = OutboxMessage(
        dedup_key=key,
        message_id=f"<{key}@adal.test>",
        category="awareness",
        user_id=user.id,
        to_addr=user.email,
        subject=f"Reminder for {user.full_name}",
        body_text=f"Dear {user.full_name}",
        body_html=f"<p>Dear {user.full_name}</p>",
        headers={},
    )
    session.add(message)
    return message


def _completed(session, user: User, course, assignment) -> tuple:
    """An enrolment finished the way a learner finishes it: attempt passed, code signed, certificate."""
    enrolment = enrol(session, user, course)
    enrolment.assignment_id = assignment.id
    quiz = module_of(course, "quiz")
    attempt = QuizAttempt(
        enrolment_id=enrolment.id,
        module_id=quiz.id,
        number=1,
        seed=1,
        draw=[],
        submitted_at=utcnow(),
        answers={},
        results={},
        score=90,
        passed=True,
    )
    session.add(attempt)
    code = module_of(course, "code")
    session.add(
        Attestation(
            enrolment_id=enrolment.id,
            user_id=user.id,
            module_id=code.id,
            document_version="2026-1",
            document_sha256="0" * 64,
            locale="en",
        )
    )
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.completed_at = utcnow()
    enrolment.score = 90
    session.flush()
    cert = issuing.issue_certificate(session, enrolment)
    session.commit()
    return enrolment, attempt, cert


@pytest.fixture
def world(make, db) -> World:
    session = db.session
    university = make.unit("UNI", kind="university")
    unit_a = make.unit("FA", parent=university, kind="faculty", en="Faculty of Arts")
    dept_a = make.unit("FA-D", parent=unit_a, en="Department of Drawing")
    unit_b = make.unit("FB", parent=university, kind="faculty", en="Faculty of Business")
    head = make.user("head.a@example.kz", full_name="Dean Of Arts", unit=unit_a, kind=PersonKind.STAFF)
    head.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=unit_a.id))
    insider = make.user("insider@unit-a.example", full_name=INSIDER_NAME, unit=dept_a)
    learner_a = make.user("learner@unit-a.example", full_name="Bolat Learner", unit=unit_a)
    outsider = make.user(OUTSIDER_EMAIL, full_name=OUTSIDER_NAME, unit=unit_b, kind=PersonKind.STAFF)
    outsider.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=unit_b.id))  # B's own unit head
    # B's dean works in A's department: A's head sees her, never the digests about B's people she gets.
    dean_b = make.user("dean.b@example.kz", full_name="Dean Of Business", unit=dept_a, kind=PersonKind.STAFF)
    dean_b.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=unit_b.id))
    officer = make.user("officer@example.kz", full_name="University Officer", roles=[Role.OFFICER])
    admin = make.user("admin@example.kz", full_name="University Admin", roles=[Role.ADMIN])
    session.commit()

    course = build_course(session, lessons=1, attestation=True)
    assignment = Assignment(course_slug=course.slug, audience={"kind": "all"}, due_days=30)
    session.add(assignment)
    session.flush()
    _e, _a, cert_a = _completed(session, insider, course, assignment)
    enrolment_b, attempt_b, cert_b = _completed(session, outsider, course, assignment)
    open_a = enrol(session, learner_a, course, due_at=utcnow() - timedelta(days=1))
    open_a.assignment_id = assignment.id
    message_b = _message(session, outsider, "unit-b-1")
    _message(session, insider, "unit-a-1")
    overdue = [{"person": outsider, "due_at": utcnow(), "reminders": 3}]
    digest = enqueue_email(session, dean_b, "escalation_digest", "digest:test", people=overdue)
    campaign = make_campaign(session)
    export_a = exports.request_export(session, head, course.slug, unit_a)
    export_b = exports.request_export(session, officer, course.slug, unit_b)
    session.commit()
    for export in (export_a, export_b):
        exports.build_export(session, export)
    trail.record(session, "security.test", outsider, actor=admin, details={"email": OUTSIDER_EMAIL})
    trail.record(session, "security.test", insider, actor=outsider)
    session.commit()
    upload = keep_upload(
        f"email,full_name,kind,unit\nnew.arts@unit-a.example,New Artist,student,{unit_a.code}\n".encode(),
        "people.csv",
        head.id,
    )
    upload_b = keep_upload(
        f"email,full_name,kind,unit\n{OUTSIDER_EMAIL},{OUTSIDER_NAME},staff,{unit_b.code}\n".encode(),
        "people.csv",
        officer.id,
    )
    common = {
        "slug": course.slug,
        "course_id": course.id,
        "module_id": module_of(course, "quiz").id,
        "question_id": module_of(course, "quiz").questions[0].id,
        "assignment_id": assignment.id,
        "campaign_id": campaign.id,
        "step_id": campaign.steps[0].id,
        "key": "integrity-before-exams",
    }
    side_a = {
        **common,
        "user_id": insider.id,
        "unit_id": unit_a.id,
        "cert_id": cert_a.id,
        "code": cert_a.short_code,  # the code pages show
        "message_id": digest.id,
        "export_id": export_a.id,
        "token": upload,
        "enrolment_id": open_a.id,
    }
    side_b = {
        **common,
        "user_id": outsider.id,
        "unit_id": unit_b.id,
        "cert_id": cert_b.id,
        "code": cert_b.short_code,
        "message_id": message_b.id,
        "export_id": export_b.id,
        "token": upload_b,
        "enrolment_id": enrolment_b.id,
        "attempt_id": attempt_b.id,
    }
    return World(head, officer, admin, insider, learner_a, outsider, university.id, side_a, side_b)


# --- Making a unit head ------------------------------------------------------------------------


def _edit_roles(client, person: User, roles: list[str], officer_unit) -> object:
    """Post the person's page as it is, with ``roles`` ticked and the officer's unit chosen."""
    data = {
        "full_name": person.full_name,
        "kind": person.kind,
        "org_unit_id": person.org_unit_id or 0,
        "locale": person.locale,
        "roles": roles,
    }
    if officer_unit is not None:
        data["officer_unit"] = officer_unit
    return client.post(f"/office/people/{person.id}", data=data)


def _role(db, user_id: int) -> tuple | None:
    db.session.expire_all()
    roles = db.session.get(User, user_id).roles
    return next(((r.role, r.scope_unit_id) for r in roles if r.role == Role.OFFICER), None)


def test_an_admin_makes_a_unit_head_from_the_person_page(client, auth, world, db):
    unit_a = world.a["unit_id"]
    auth.login(world.admin)
    page = client.get(f"/office/people/{world.learner_a.id}").get_data(as_text=True)
    assert 'name="officer_unit"' in page and "Faculty of Business" in page  # every unit is offered

    response = _edit_roles(client, world.learner_a, ["officer"], unit_a)
    assert response.status_code == 302
    assert _role(db, world.learner_a.id) == ("officer", unit_a)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "people.role_grant")).one()
    assert (event.target_id, event.actor_id) == (str(world.learner_a.id), world.admin.id)
    assert event.details == {"role": "officer", "scope_unit": unit_a}

    page = client.get(f"/office/people/{world.learner_a.id}").get_data(as_text=True)
    assert "compliance officer — Faculty of Arts" in page
    listed = client.get("/office/people/", query_string={"q": "bolat"}).get_data(as_text=True)
    assert "compliance officer — Faculty of Arts" in listed

    # The new head signs in and sees their faculty's people, not the other faculty's.
    auth.logout()
    auth.login(world.learner_a)
    listed = client.get("/office/people/").get_data(as_text=True)
    assert INSIDER_NAME in listed and OUTSIDER_NAME not in listed
    assert client.get(f"/office/people/{world.outsider.id}").status_code == 404


def test_a_university_officer_moves_and_widens_a_unit_head(client, auth, world, db):
    auth.login(world.officer)
    _edit_roles(client, world.head, ["officer"], world.b["unit_id"])
    assert _role(db, world.head.id) == ("officer", world.b["unit_id"])
    moved = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "people.role_scope")).one()
    assert moved.details == {
        "role": "officer",
        "scope_unit": world.b["unit_id"],
        "previous_scope_unit": world.a["unit_id"],
    }

    _edit_roles(client, world.head, ["officer"], 0)  # the whole university
    assert _role(db, world.head.id) == ("officer", None)
    _edit_roles(client, world.head, [], 0)
    assert _role(db, world.head.id) is None
    query = select(AuditEvent.action).where(AuditEvent.action.like("people.role%")).order_by(AuditEvent.id)
    actions = db.session.scalars(query).all()
    assert actions == ["people.role_scope", "people.role_scope", "people.role_revoke"]


def test_a_post_without_the_unit_keeps_the_scope(client, auth, world, db):
    auth.login(world.officer)
    _edit_roles(client, world.head, ["officer", "author"], None)
    assert _role(db, world.head.id) == ("officer", world.a["unit_id"])  # not widened by omission


def test_a_unit_head_cannot_grant_or_change_scopes(client, auth, world, db):
    auth.login(world.head)
    page = client.get(f"/office/people/{world.insider.id}").get_data(as_text=True)
    assert 'name="officer_unit"' not in page and 'name="roles"' not in page
    _edit_roles(client, world.insider, ["officer"], world.a["unit_id"])
    assert _role(db, world.insider.id) is None
    _edit_roles(client, world.head, ["officer"], 0)  # widen themselves to the whole university
    assert _role(db, world.head.id) == ("officer", world.a["unit_id"])
    assert client.post(f"/office/people/{world.outsider.id}", data={"officer_unit": 0}).status_code == 404
    assert _role(db, world.outsider.id) == ("officer", world.b["unit_id"])
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("people.role%"))).all()

    with pytest.raises(directory.RoleChangeRefused, match="unit_head"):
        directory.set_roles(db.session, world.insider, {"officer"}, world.head, {"officer": world.a["unit_id"]})


def test_an_officer_cannot_narrow_their_own_role(client, auth, world, db):
    auth.login(world.officer)
    response = _edit_roles(client, world.officer, ["officer"], world.a["unit_id"])
    assert response.status_code == 302
    assert _role(db, world.officer.id) == ("officer", None)
    assert "You cannot limit your own officer role" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_learner_cannot_make_a_unit_head(client, auth, world, db):
    auth.login(world.insider)
    assert _edit_roles(client, world.learner_a, ["officer"], world.a["unit_id"]).status_code == 403
    assert _role(db, world.learner_a.id) is None


def test_the_scope_form_needs_its_csrf_token(app, client, auth, world, db):
    auth.login(world.admin)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = _edit_roles(client, world.learner_a, ["officer"], world.a["unit_id"])
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (200, 400)
    assert _role(db, world.learner_a.id) is None


# --- The two leaks the tester found ------------------------------------------------------------


def _count(client, rule: dict):
    return client.get("/office/courses/audience/count", query_string={"rule": json.dumps(rule)})


def test_audience_count_refuses_another_unit_and_counts_inside_the_scope(client, auth, world):
    slug = world.a["slug"]
    other_unit = {"kind": "unit", "unit_id": world.b["unit_id"], "sub": True}
    union = {
        "kind": "any",
        "rules": [
            {"kind": "people", "emails": [OUTSIDER_EMAIL]},
            {"kind": "completed_within", "course": slug, "days": 30},
        ],
    }

    auth.login(world.officer)  # the whole university: the same questions find B's person
    assert _count(client, other_unit).json["count"] == 1
    assert _count(client, union).json["count"] == 2

    auth.logout()
    auth.login(world.head)
    refused = _count(client, other_unit)
    assert refused.status_code == 403
    assert refused.json["error"] == "You can count only the people of your own units."
    assert "count" not in refused.json
    form_refused = client.get(
        "/office/courses/audience/count", query_string={"kind": "unit", "unit_id": world.b["unit_id"], "sub": "y"}
    )
    assert form_refused.status_code == 403 and "count" not in form_refused.json
    whole = {"kind": "unit", "unit_id": world.university_id, "sub": True}
    assert _count(client, whole).status_code == 403  # the university holds B too
    assert _count(client, union).json["count"] == 1  # the insider's completion, not B's
    assert _count(client, {"kind": "people", "emails": [OUTSIDER_EMAIL]}).json["count"] == 0
    assert _count(client, {"kind": "all"}).json["count"] == 4  # the head, B's dean, the insider, the learner
    assert _count(client, {"kind": "unit", "unit_id": world.a["unit_id"], "sub": True}).json["count"] == 4


def _totals(html: str) -> list[str]:
    return re.findall(r'<td class="text-end">(\d[\d,]*)</td>', html)


def test_assignment_totals_count_only_the_heads_people(client, auth, world):
    auth.login(world.officer)
    assert _totals(client.get("/office/courses/assignments").get_data(as_text=True)) == ["3", "2"]
    auth.logout()
    auth.login(world.head)
    assert _totals(client.get("/office/courses/assignments").get_data(as_text=True)) == ["2", "1"]


# --- No route shows B's person to A's head ------------------------------------------------------

_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<items>[^)]*)\))?:)?(?P<name>\w+)>")


def _values(world: World, converter: str | None, items: str | None, name: str) -> list:
    """What to put in a path argument: B's object first, then A's (for pages that need a valid one)."""
    if converter == "any":
        return [item.strip().strip("'\"") for item in items.split(",")]
    if name in world.b or name in world.a:
        values = [world.b.get(name), world.a.get(name)]
    elif converter == "int":  # an argument named later: try B's ids of each kind
        values = [world.b["user_id"], world.b["unit_id"], world.b["cert_id"], world.a["unit_id"]]
    elif converter == "path":
        values = [world.b["code"], world.a["slug"]]
    else:
        values = [world.a["slug"], world.b["code"], str(world.b["unit_id"])]
    return list(dict.fromkeys(v for v in values if v is not None))


def _urls(app, world: World) -> list[tuple[str, str]]:
    """(rule, URL) for every GET route under /office/, each argument filled with B's and A's ids."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/office/") or "GET" not in rule.methods:
            continue
        arguments = list(_ARGUMENT.finditer(rule.rule))
        choices = [_values(world, m["converter"], m["items"], m["name"]) for m in arguments]
        for combination in islice(product(*choices), MAX_COMBINATIONS):
            url = rule.rule
            for match, value in zip(reversed(arguments), reversed(combination), strict=True):
                url = url[: match.start()] + str(value) + url[match.end() :]
            urls.append((rule.rule, url))
    return urls


def _readable(response) -> str:
    """Everything a person could read in the answer, lower-cased: zips unpacked, PDFs as text."""
    data = response.get_data()
    parts = [data.decode("utf-8", "replace"), response.headers.get("Location", "")]
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                member = archive.read(info)
                parts.append(info.filename)
                parts.append(_pdf_text(member) if member.startswith(b"%PDF") else member.decode("utf-8", "replace"))
    elif data.startswith(b"%PDF"):
        parts.append(_pdf_text(data))
    elif response.is_json:
        parts.append(json.dumps(response.json, ensure_ascii=False))
    return "\n".join(parts).lower()


def _pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _walk(client, app, world: World, allowed) -> tuple[dict, list]:
    """Ask every office GET route (with and without B's filters): the answers by URL, and the failures."""
    answers, failures = {}, []
    filters = {
        name: world.b["user_id"] if name in ("user_id", "person") else world.b["unit_id"] for name in FILTER_NAMES
    }
    filters["q"] = "outsider"
    for _rule, url in _urls(app, world):
        for query in ({}, filters):
            label = url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
            try:
                response = client.get(url, query_string=query)
            except Exception as error:  # a crash is an answer this test reports
                failures.append(f"{label}: raised {error!r}")
                continue
            with response:
                if response.status_code not in allowed:
                    failures.append(f"{label}: status {response.status_code}")
                answers[label] = _readable(response)
    return answers, failures


def test_no_office_page_shows_another_units_person(app, client, auth, world):
    auth.login(world.head)
    answers, failures = _walk(client, app, world, ALLOWED)
    leaks = sorted(label for label, text in answers.items() if any(marker in text for marker in MARKERS))
    assert failures == []
    assert leaks == []
    # The walk really read pages with people on them: the head's own faculty is there.
    assert any(INSIDER_NAME.lower() in text for label, text in answers.items() if label.startswith("/office/people/"))
    assert any(world.a["code"].lower() in text for text in answers.values())  # the insider's certificate


def test_the_walk_finds_the_person_where_the_whole_university_is_seen(app, client, auth, world):
    """The same walk signed in as an officer of the whole university finds B's person: the check can fail."""
    auth.login(world.officer)
    answers, failures = _walk(client, app, world, range(200, 500))
    assert failures == []
    seen = {label.split("?")[0] for label, text in answers.items() if any(marker in text for marker in MARKERS)}
    expected = {
        "/office/people/",
        f"/office/people/{world.outsider.id}",
        f"/office/courses/people/{world.outsider.id}",
        f"/office/certificates/{world.b['cert_id']}",
        f"/office/certificates/{world.b['cert_id']}.pdf",
        f"/office/courses/progress/{world.a['slug']}/export.xlsx",
        f"/office/mailbox/{world.b['message_id']}",
        f"/office/certificates/exports/{world.b['export_id']}/download",
    }
    assert expected <= seen
