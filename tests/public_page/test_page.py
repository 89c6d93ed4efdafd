"""The public page: visitors see it at / and /about in kk/ru/en, the office edits the methods' texts."""

import re

from sqlalchemy import select

from lms.models import AuditEvent, Role, UserRole
from lms.office_settings import DEFAULT_CONTACTS, save_office_contacts
from public_page.methods import METHODS


def test_visitors_see_the_public_page_in_kazakh_at_the_root(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "kk")  # as in production
    page = app.test_client().get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="kk">' in html
    for method in METHODS:
        assert f'id="method-{method.key}"' in html and method.title["kk"] in html
    assert 'href="/report' in html and 'href="/verify"' in html and 'id="public-sign-in" href="/login"' in html
    assert DEFAULT_CONTACTS["phone"] in html and DEFAULT_CONTACTS["officer"]["kk"] in html


def test_the_language_switch_works_for_visitors(client, db):
    client.post("/language", data={"locale": "ru", "next": "/about"})
    html = client.get("/about").get_data(as_text=True)
    assert '<html lang="ru">' in html and "Прозрачность" in html and "Ashyqtyq" not in html
    client.post("/language", data={"locale": "en", "next": "/"})
    assert "A culture of integrity" in client.get("/").get_data(as_text=True)


def test_the_contacts_are_the_offices_settings(client, db):
    contacts = {**DEFAULT_CONTACTS, "phone": "+7 727 000 00 00", "email": "ethics@example.kz"}
    save_office_contacts(db.session, contacts)
    db.session.commit()
    html = client.get("/about").get_data(as_text=True)
    contacts_block = html.split('id="contacts"')[1]
    assert "+7 727 000 00 00" in contacts_block and "mailto:ethics@example.kz" in contacts_block


def test_the_page_loads_nothing_from_elsewhere(client, db):
    html = client.get("/about").get_data(as_text=True)
    resources = re.findall(r'<(?:script|img|iframe)[^>]*\ssrc="([^"]+)"', html) + re.findall(
        r'<link[^>]*\shref="([^"]+)"', html
    )
    assert resources and all(url.startswith("/") and not url.startswith("//") for url in resources)
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html


def test_signed_in_people_keep_their_landing_page_and_see_about_too(client, auth, make, db):
    learner = make.user()
    auth.login(learner)
    root = client.get("/")
    assert root.status_code == 302 and root.headers["Location"] != "/about"
    about = client.get("/about").get_data(as_text=True)
    assert 'id="methods"' in about and 'id="public-sign-in"' not in about


def test_the_office_rewrites_a_method_as_sanitized_markdown(client, auth, make, db):
    officer = make.user(roles=[Role.OFFICER])
    auth.login(officer)
    form = {f"{name}_{loc}": f"{name} {loc}" for name in ("title", "body") for loc in ("kk", "ru", "en")}
    form["title_en"] = "Open rules"
    form["body_en"] = (
        "Criteria are **published**.<script>alert(1)</script> [x](javascript:alert(1))\n\n"
        "![tracker](https://tracker.example/pixel.png)\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n"
    )
    response = client.post("/office/public/methods/transparency", data=form)
    assert response.status_code == 302
    html = client.get("/about").get_data(as_text=True)
    block = html.split('id="method-transparency"')[1].split("</li>")[0]
    assert "Open rules" in block and "<strong>published</strong>" in block
    assert "<script>alert" not in block and 'href="javascript' not in block
    assert "<img" not in block and "<iframe" not in block and "tracker.example" not in block  # nothing from elsewhere
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "public.method"))
    assert event.actor_id == officer.id and event.details == {"method": "Open rules"}
    assert client.get("/office/public/methods/no-such-method").status_code == 404
    assert "Open rules" in client.get("/office/public/").get_data(as_text=True)


def test_an_empty_text_is_refused(client, auth, make, db):
    auth.login(make.user(roles=[Role.OFFICER]))
    form = {f"{name}_{loc}": "x" for name in ("title", "body") for loc in ("kk", "ru", "en")}
    form["body_kk"] = "  "
    assert client.post("/office/public/methods/transparency", data=form).status_code == 200
    assert "Transparency" in client.get("/about").get_data(as_text=True)


def test_an_officer_scoped_to_a_unit_cannot_edit_the_public_page(client, auth, make, db):
    unit = make.unit()
    scoped = make.user()
    scoped.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=unit.id))
    db.session.commit()
    auth.login(scoped)
    assert client.get("/office/public/").status_code == 403
    assert client.post("/office/public/methods/transparency", data={}).status_code == 403
