"""The audit log page: events told in words with links, filters, paging, bounded queries, CSV export."""

import csv
import html
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import flask_babel
import pytest

from campaigns.models import Campaign
from courses.certificates import issuing
from courses.models import Assignment, Certificate
from lms.audit import trail
from lms.models import AuditEvent, Role
from lms.people import directory
from tests.courses.builders import build_course, enrol

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def officer(make):
    return make.user("officer@example.kz", roles=[Role.OFFICER], full_name="Aigerim Saparova")


def _event(db, action, actor=None, at=None, target=None, **details):
    event = trail.record(db.session, action, target, actor=actor, details=details)
    if at is not None:
        event.at = at
    db.session.commit()
    return event


def _certificate(db, holder, course, code="7F3KQ9XW2M") -> Certificate:
    """A certificate row as issuing writes it (without rendering a PDF: the log never reads it)."""
    enrolment = enrol(db.session, holder, course)
    cert = Certificate(
        code=code,
        enrolment_id=enrolment.id,
        user_id=holder.id,
        course_id=course.id,
        holder_name=holder.full_name,
        locale="en",
    )
    db.session.add(cert)
    db.session.commit()
    return cert


def _sentences(page: str) -> dict[str, list[str]]:
    """Each row's sentence as read on screen, by action code."""
    found: dict[str, list[str]] = {}
    for action, cell in re.findall(
        r'<tr data-action="([^"]+)">\s*<td[^>]*>.*?</td>\s*<td class="audit-sentence">(.*?)</td>', page, re.S
    ):
        found.setdefault(action, []).append(html.unescape(re.sub(r"<[^>]+>", "", cell)))
    return found


def _links(page: str) -> set[tuple[str, str]]:
    """The (text, href) of every link inside the sentences."""
    cells = re.findall(r'<td class="audit-sentence">(.*?)</td>', page, re.S)
    return {
        (html.unescape(text), html.unescape(href))
        for cell in cells
        for href, text in re.findall(r'<a href="([^"]+)">(.*?)</a>', cell)
    }


@pytest.fixture
def story(db, make, officer):
    """A login, a people import, a role given in a unit, a revoked certificate: what an auditor reads."""
    holder = make.user(full_name="Nurlan Kasymov")
    unit = make.unit("FIT", en="Faculty of IT", ru="Факультет ИТ")
    course = build_course(db.session, slug="code-of-ethics")
    course.title = {"en": "Code of ethics", "ru": "Кодекс этики", "kk": "Әдеп кодексі"}
    cert = _certificate(db, holder, course)
    head = make.user(full_name="Dana Omarova")
    _event(
        db, "people.import", officer, file="staff.csv", only_valid=False, create=12, update=3, unchanged=40, reject=2
    )
    directory.set_roles(db.session, head, {Role.OFFICER}, officer, {Role.OFFICER: unit.id})
    issuing.revoke_certificate(db.session, cert, "Obtained by fraud", actor=officer)
    db.session.commit()
    return {"holder": holder, "head": head, "unit": unit, "cert": cert, "course": course}


def test_events_read_as_sentences_with_links(client, auth, officer, story):
    auth.login(officer)  # the login is an event too
    page = client.get("/office/audit/").get_data(as_text=True)
    said = _sentences(page)
    assert said["auth.login"] == ["Aigerim Saparova signed in"]
    assert said["people.import"] == ["Aigerim Saparova imported people from staff.csv: 12 new, 3 updated, 2 rejected"]
    assert said["people.role_grant"] == ["Aigerim Saparova made Dana Omarova compliance officer of Faculty of IT"]
    assert said["certificate.revoke"] == [
        "Aigerim Saparova revoked certificate 7F3KQ9… of Nurlan Kasymov (Code of ethics): Obtained by fraud"
    ]
    cert, holder, head = story["cert"], story["holder"], story["head"]
    links = _links(page)
    assert ("Aigerim Saparova", f"/office/people/{officer.id}") in links  # the actor's page
    assert ("Dana Omarova", f"/office/people/{head.id}") in links
    assert ("Faculty of IT", f"/office/units/{story['unit'].id}") in links
    assert ("7F3KQ9…", f"/office/certificates/{cert.id}") in links
    assert ("Nurlan Kasymov", f"/office/people/{holder.id}") in links
    assert ("Code of ethics", "/office/courses/progress/code-of-ethics") in links


def test_feature_objects_link_to_their_pages(client, auth, officer, make, db):
    learner = make.user(full_name="Asel Nurova")
    unit = make.unit("LAW", en="Law school")
    course = build_course(db.session, slug="gifts")
    course.title = {"en": "Gifts and hospitality", "ru": "Подарки"}
    campaign = Campaign(name="Integrity week", audience={"kind": "all"})
    assignment = Assignment(
        course_slug="gifts", audience={"kind": "unit", "unit_id": unit.id, "sub": True}, due_days=30
    )
    db.session.add_all([campaign, assignment])
    db.session.commit()
    _event(db, "campaign.schedule", officer, target=campaign)
    _event(db, "assignment.create", officer, target=assignment, course="gifts", enrolled=7)
    _event(db, "course.completed", learner, target=enrol(db.session, learner, course), course="gifts", score=85)
    auth.login(officer)
    page = client.get("/office/audit/").get_data(as_text=True)
    said = _sentences(page)
    assert said["campaign.schedule"] == ["Aigerim Saparova scheduled the campaign Integrity week"]
    assert said["assignment.create"][0].startswith("Aigerim Saparova assigned Gifts and hospitality to Law school")
    assert said["assignment.create"][0].endswith(": 7 enrolled")
    assert said["course.completed"] == ["Asel Nurova completed Gifts and hospitality with 85%"]
    links = _links(page)
    assert ("Integrity week", f"/office/campaigns/{campaign.id}") in links
    assert ("Gifts and hospitality", "/office/courses/assignments") in links
    assert ("Gifts and hospitality", f"/office/courses/people/{learner.id}") in links
    assert ("Asel Nurova", f"/office/people/{learner.id}") in links


#: What the Russian catalogue will say for these sentences (the lead translates at the end; the
#: test adds them itself so that it checks the machinery: translated at render time, in the
#: reader's language, with the placeholders in the translation's own word order).
RUSSIAN = {
    "%(actor)s signed in": "%(actor)s вошла в систему",
    "%(actor)s imported people from %(file)s: %(create)s new, %(update)s updated, %(reject)s rejected": (
        "%(actor)s импортировала людей из %(file)s: новых %(create)s, обновлено %(update)s, отклонено %(reject)s"
    ),
    "%(actor)s made %(target)s %(role)s of %(unit)s": "%(actor)s назначила %(target)s: %(role)s, %(unit)s",
    "compliance officer": "комплаенс-офицер",
    "%(actor)s revoked certificate %(target)s of %(holder)s (%(course)s): %(reason)s": (
        "%(actor)s отозвала сертификат %(target)s (%(holder)s, %(course)s): %(reason)s"
    ),
}


@pytest.fixture
def russian(app, monkeypatch):
    """The Russian catalogue with :data:`RUSSIAN` in it, for this test only."""
    with app.test_request_context(), flask_babel.force_locale("ru"):
        catalogue = flask_babel.get_translations()
    for english, translated in RUSSIAN.items():
        monkeypatch.setitem(catalogue._catalog, english, translated)


def test_sentences_in_the_readers_language(client, auth, make, story, russian):
    reader = make.user(roles=[Role.OFFICER], locale="ru", full_name="Айгерим Сапарова")
    auth.login(reader)
    said = _sentences(client.get("/office/audit/").get_data(as_text=True))
    assert said["auth.login"] == ["Айгерим Сапарова вошла в систему"]
    assert said["people.import"] == [
        "Aigerim Saparova импортировала людей из staff.csv: новых 12, обновлено 3, отклонено 2"
    ]
    assert said["people.role_grant"] == ["Aigerim Saparova назначила Dana Omarova: комплаенс-офицер, Факультет ИТ"]
    assert said["certificate.revoke"] == [
        "Aigerim Saparova отозвала сертификат 7F3KQ9… (Nurlan Kasymov, Кодекс этики): Obtained by fraud"
    ]


def test_unknown_action_and_system_events_still_read(client, auth, officer, make, db):
    person = make.user(full_name="Bolat Ermekov")
    _event(db, "reports.frobnicate", officer, target=person, note="x")
    _event(db, "maintenance.vacuum")  # no actor, no target
    auth.login(officer)
    said = _sentences(client.get("/office/audit/").get_data(as_text=True))
    assert said["reports.frobnicate"] == ["Aigerim Saparova did reports.frobnicate on Bolat Ermekov"]
    assert said["maintenance.vacuum"] == ["System did maintenance.vacuum"]


def test_a_deleted_target_is_named_by_type_and_id(client, auth, officer, db):
    event = _event(db, "campaign.pause", officer)
    event.target_type, event.target_id = "campaign", "999"
    db.session.commit()
    auth.login(officer)
    said = _sentences(client.get("/office/audit/").get_data(as_text=True))
    assert said["campaign.pause"] == ["Aigerim Saparova paused the campaign campaign #999"]


#: Actions passed to ``audit.record`` through a variable, out of reach of the pattern below.
INDIRECT_ACTIONS = {
    "auth.password_reset",
    "auth.invitation_accepted",
    "people.reactivate",
    "people.deactivate",
    "course.publish",
    "course.archive",
}


def test_every_recorded_action_has_a_sentence(app):
    """A new ``trail.record`` call in any package needs its sentence registered too."""
    recorded = set(INDIRECT_ACTIONS)
    for package in ("lms", "courses", "campaigns", "dashboard", "concerns", "public_page", "events"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            recorded |= set(re.findall(r'trail\.record\(\s*[\w.]+,\s*"([a-z_]+\.[a-z_]+)"', text))
    registered = set(app.extensions["adal.audit"].sentences)
    assert len(recorded) > 40
    assert recorded - registered == set()


def test_filters_by_person_action_and_period(client, auth, officer, make, db):
    other = make.user("other@example.kz", full_name="Ерлан Тлеубаев")
    _event(db, "people.import", officer, datetime(2026, 3, 1, 12, tzinfo=UTC), create=5)
    _event(db, "people.deactivate", other, datetime(2026, 3, 2, 12, tzinfo=UTC), target=officer)
    _event(db, "settings.contacts", officer, datetime(2026, 3, 3, 20, tzinfo=UTC))  # 4 March in Almaty
    auth.login(officer)

    def actions(**query) -> list[str]:
        page = client.get("/office/audit/", query_string=query).get_data(as_text=True)
        return re.findall(r'<tr data-action="([^"]+)">', page)

    assert actions(action="people") == ["people.deactivate", "people.import"]
    assert actions(action="settings") == ["settings.contacts"]
    assert actions(action="auth") == ["auth.login"]
    assert actions(person="OTHER@example.kz") == ["people.deactivate"]
    assert actions(person="тлеубаев") == ["people.deactivate"]  # by name, any case, Cyrillic too
    assert actions(person="nobody@example.kz") == []
    assert actions(since="2026-03-02", until="2026-03-03") == ["people.deactivate"]
    assert actions(since="2026-03-04") == ["auth.login", "settings.contacts"]
    assert actions(person="aigerim", action="people", until="2026-03-03") == ["people.import"]
    page = client.get("/office/audit/", query_string={"action": "people"}).get_data(as_text=True)
    assert '<option selected value="people">People and roles</option>' in page


def _csv(client, **query) -> list[list[str]]:
    response = client.get("/office/audit/export.csv", query_string=query)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))  # BOM: Excel reads UTF-8


def test_csv_columns_in_words_and_local_time(client, auth, officer, story, db):
    _event(db, "maintenance.vacuum", at=datetime(2026, 3, 3, 20, 15, tzinfo=UTC))
    auth.login(officer)
    rows = _csv(client)
    assert rows[0] == ["Time (Asia/Almaty)", "Who", "Event", "Action code", "Target", "Details", "IP address"]
    by_action = {row[3]: row for row in rows[1:]}
    revoke = by_action["certificate.revoke"]
    assert revoke[1] == "Aigerim Saparova <officer@example.kz>"
    assert (
        revoke[2]
        == "Aigerim Saparova revoked certificate 7F3KQ9… of Nurlan Kasymov (Code of ethics): Obtained by fraud"
    )
    assert revoke[4] == f"certificate #{story['cert'].id}"
    assert revoke[5] == "code=7F3KQ9XW2M; reason=Obtained by fraud"
    system = by_action["maintenance.vacuum"]
    almaty = datetime(2026, 3, 3, 20, 15, tzinfo=UTC).astimezone(ZoneInfo("Asia/Almaty"))
    assert system[:3] == [f"{almaty:%Y-%m-%d %H:%M:%S}", "System", "System did maintenance.vacuum"]
    assert by_action["auth.login"][6] == "127.0.0.1"
    assert db.session.query(AuditEvent).filter_by(action="audit.export").count() == 1


def test_csv_follows_the_page_filters(client, auth, officer, make, db):
    other = make.user("other@example.kz", full_name="Erlan Tleubaev")
    for n in range(5):
        _event(db, "people.import", officer, datetime(2026, 3, 1 + n, 12, tzinfo=UTC), create=n)
    _event(db, "settings.contacts", officer, datetime(2026, 3, 2, 12, tzinfo=UTC))
    _event(db, "people.deactivate", other, datetime(2026, 3, 2, 13, tzinfo=UTC))
    auth.login(officer)
    rows = _csv(client, action="people")
    assert [r[3] for r in rows[1:]] == ["people.import"] * 3 + ["people.deactivate"] + ["people.import"] * 2
    rows = _csv(client, action="people", person="officer@", since="2026-03-02", until="2026-03-03")
    assert [(r[0][:10], r[3]) for r in rows[1:]] == [("2026-03-03", "people.import"), ("2026-03-02", "people.import")]
    assert [r[3] for r in _csv(client, person="Tleubaev")[1:]] == ["people.deactivate"]


def test_csv_reads_every_event_across_batches(client, auth, officer, db, monkeypatch):
    monkeypatch.setattr(trail, "EXPORT_BATCH", 3)
    same_time = datetime(2026, 3, 1, 12, tzinfo=UTC)  # ties on time are ordered by id, none lost
    for n in range(8):
        _event(db, "people.import", officer, same_time, create=n)
    auth.login(officer)
    rows = _csv(client, action="people")
    assert [r[5].split("create=")[1] for r in rows[1:]] == [str(n) for n in reversed(range(8))]


def test_page_query_count_is_bounded(client, auth, officer, *, make, db, count_queries):
    """Many kinds of object on the page, yet 5 and 50 events cost the same number of queries."""
    course = build_course(db.session)
    campaign = Campaign(name="Integrity week", audience={"kind": "all"})
    db.session.add(campaign)
    db.session.commit()
    auth.login(officer)

    def add_events(count: int) -> None:
        for n in range(count):
            person = make.user()
            kind = n % 5
            if kind == 0:
                directory.set_roles(db.session, person, {Role.OFFICER}, officer, {Role.OFFICER: make.unit().id})
                db.session.commit()
            elif kind == 1:
                _event(db, "campaign.pause", officer, target=campaign)
            elif kind == 2:
                issuing.revoke_certificate(
                    db.session, _certificate(db, person, course, f"CODE{person.id:06d}"), "x", officer
                )
                db.session.commit()
            elif kind == 3:
                _event(db, "course.completed", person, target=enrol(db.session, person, course), score=80)
            else:
                _event(db, "people.update", officer, target=person, fields="full_name")

    def queries() -> int:
        with count_queries() as statements:
            response = client.get("/office/audit/")
            assert response.status_code == 200
        return len(statements), response.get_data(as_text=True).count("<tr data-action=")

    add_events(4)  # and the officer's login: 5 events
    few, shown = queries()
    assert shown == 5
    add_events(45)
    many, shown = queries()
    assert shown == 50
    assert many == few
