"""The office's phone and e-mail in lessons, signed documents and questions follow the office's settings."""

import re

from sqlalchemy import select

from courses.contact_placeholders import fill_office_contacts
from courses.learning import progress
from courses.models import Attestation, Question
from courses.packs.importing import bundled_pack_folders
from lms.office_settings import DEFAULT_CONTACTS, office_contacts, save_office_contacts
from tests.courses.builders import build_course, enrol, module_of

CONTACT = "Call {{ office.phone }} or write to {{office.email}} ({{ office.room }})."
NEW_PHONE = "+7 (727) 000 11 22"


def _html(response) -> str:
    return response.get_data(as_text=True)


def _new_phone(db) -> None:
    save_office_contacts(db.session, office_contacts(db.session) | {"phone": NEW_PHONE})
    db.session.commit()


def test_placeholders_take_the_contact_in_the_text_language_and_unknown_ones_stay():
    contacts = DEFAULT_CONTACTS | {"phone": "123"}
    text = fill_office_contacts(CONTACT + " {{ office.fax }}", contacts, "kk")
    assert text == f"Call 123 or write to compliance@metu.kz ({DEFAULT_CONTACTS['room']['kk']}). {{{{ office.fax }}}}"


def test_a_lesson_shows_the_settings_phone_and_follows_a_change(client, db, make, auth):
    learner = make.user()
    auth.login(learner)
    course = build_course(db.session, quiz=False, lesson_body={"en": f"## Contacts\n\n{CONTACT}"})
    url = f"/learning/{enrol(db.session, learner, course).id}/modules/{course.modules[0].id}"
    page = _html(client.get(url))
    assert DEFAULT_CONTACTS["phone"] in page and "compliance@metu.kz" in page and "office." not in page

    _new_phone(db)
    page = _html(client.get(url))
    assert NEW_PHONE in page and DEFAULT_CONTACTS["phone"] not in page


def test_the_signature_records_the_document_with_the_phone_that_was_shown(client, db, make, auth):
    learner = make.user()
    auth.login(learner)
    course = build_course(db.session, lessons=0, quiz=False, attestation=True)
    code = module_of(course, "code")
    code.body = {"en": f"## The code\n\n{CONTACT}"}
    db.session.commit()
    enrolment = enrol(db.session, learner, course)
    _new_phone(db)

    url = f"/learning/{enrolment.id}/modules/{code.id}"
    page = _html(client.get(url))
    assert NEW_PHONE in page
    token = re.search(r'name="shown" type="hidden" value="([^"]+)"', page)[1]
    client.post(f"{url}/accept", data={"shown": token})
    shown = fill_office_contacts(code.body["en"], office_contacts(db.session), "en")
    assert NEW_PHONE in shown
    assert db.session.scalars(select(Attestation.document_sha256)).one() == progress.document_sha256(shown)


def test_a_quiz_option_shows_the_settings_phone(client, db, make, auth):
    learner = make.user()
    auth.login(learner)
    course = build_course(db.session, kinds=("single",))
    question = db.session.scalars(select(Question)).one()
    question.options = [{**o, "text": {"en": f"{o['id']}: {{{{ office.phone }}}}"}} for o in question.options]
    db.session.commit()
    _new_phone(db)
    enrolment = enrol(db.session, learner, course)
    response = client.post(f"/learning/{enrolment.id}/modules/{module_of(course, 'quiz').id}/start")
    page = _html(client.get(response.headers["Location"]))
    assert all(f"{oid}: {NEW_PHONE}" in page for oid in "abc") and "office.phone" not in page


def test_the_authors_preview_fills_the_placeholders_too(client, author):
    html = client.post("/author/preview", data={"text": CONTACT}).get_data(as_text=True)
    assert DEFAULT_CONTACTS["phone"] in html and "office." not in html


def test_the_bundled_packs_name_the_office_phone_only_through_the_placeholder():
    texts = [p.read_text() for folder in bundled_pack_folders() for p in folder.rglob("*") if p.is_file()]
    assert not [t for t in texts if DEFAULT_CONTACTS["phone"] in t or DEFAULT_CONTACTS["email"] in t]
    assert sum("{{ office.phone }}" in t for t in texts) >= 25
