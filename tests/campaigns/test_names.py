"""A campaign's name per language: each reader sees theirs, else another one marked as such (issue 15)."""

import re

from sqlalchemy import select

from campaigns.models import Campaign, CampaignStatus
from lms.models import Role
from lms.names import name_in, name_markup
from tests.campaigns.helpers import make_campaign

FORM = {"category": "awareness", "audience_kind": "all", "escalate_after": "0"}


def _office(auth, make, locale):
    auth.login(make.user(roles=[Role.OFFICER], locale=locale))


def _listed_name(page: str, campaign_id: int) -> str:
    match = re.search(rf'href="/office/campaigns/{campaign_id}">(.*?)</a>', page, re.S)
    return match[1].strip()


def test_a_name_falls_back_with_a_marker_naming_the_language():
    names = {"kk": "Адалдық апталығы", "ru": "Неделя честности"}
    assert name_in(names, "kk") == ("Адалдық апталығы", "kk")
    assert name_in(names, "en") == ("Неделя честности", "ru")
    assert name_in({}, "kk", "Integrity week") == ("Integrity week", None)
    assert "name-fallback" not in name_markup(names, "kk")
    shown = name_markup(names, "en")
    assert '<span lang="ru">Неделя честности</span>' in shown and ">ru</span>" in shown
    assert ">?</span>" in name_markup({}, "ru", "<b>old</b>") and "&lt;b&gt;old&lt;/b&gt;" in name_markup(
        {}, "ru", "<b>old</b>"
    )


def test_the_office_names_a_campaign_in_each_language_and_each_reader_sees_theirs(client, auth, make, db):
    _office(auth, make, "ru")
    response = client.post(
        "/office/campaigns/new", data=FORM | {"name_kk": "Адалдық апталығы", "name_ru": "Неделя честности"}
    )
    assert response.status_code == 302
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.names == {"kk": "Адалдық апталығы", "ru": "Неделя честности"}
    assert campaign.name == "Неделя честности"  # the fallback: the name in the office's language

    _office(auth, make, "kk")
    assert _listed_name(client.get("/office/campaigns/").get_data(as_text=True), campaign.id) == "Адалдық апталығы"
    _office(auth, make, "en")
    listed = _listed_name(client.get("/office/campaigns/").get_data(as_text=True), campaign.id)
    assert listed.startswith('<span lang="ru">Неделя честности</span>') and "name-fallback" in listed
    assert "Неделя честности" in client.get(f"/office/campaigns/{campaign.id}").get_data(as_text=True)


def test_a_campaign_needs_a_name_in_at_least_one_language(client, auth, make, db):
    _office(auth, make, "en")
    response = client.post("/office/campaigns/new", data=FORM | {"name_kk": "  "})
    assert response.status_code == 200
    assert b"Name the campaign in at least one language." in response.data
    assert db.session.scalars(select(Campaign)).first() is None


def test_a_name_from_before_languages_is_shown_marked_and_edited_in_the_officers_language(client, auth, make, db):
    campaign = make_campaign(db.session)  # named "Test campaign", in no known language
    _office(auth, make, "ru")
    listed = _listed_name(client.get("/office/campaigns/").get_data(as_text=True), campaign.id)
    assert listed.startswith("<span>Test campaign</span>") and ">?</span>" in listed
    form = client.get(f"/office/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert re.search(r'name="name_ru"[^>]*value="Test campaign"', form)
    assert not re.search(r'name="name_kk"[^>]*value="Test', form)


def test_a_campaign_from_a_template_keeps_every_language_and_the_dashboard_shows_the_readers(client, auth, make, db):
    _office(auth, make, "kk")
    client.post("/office/campaigns/templates/international-anti-corruption-day")
    campaign = db.session.scalars(select(Campaign)).one()
    assert set(campaign.names) == {"kk", "ru", "en"}
    campaign.status = CampaignStatus.RUNNING
    db.session.commit()
    dashboard = client.get("/office/dashboard/").get_data(as_text=True)
    assert campaign.names["kk"] in dashboard and campaign.names["ru"] not in dashboard
