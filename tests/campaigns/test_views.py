"""The office's campaign pages and the public e-mail links."""

import base64
import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from campaigns import tracking
from campaigns.due_steps import run_due_steps
from campaigns.models import Campaign, CampaignStatus, Category, EmailPreference
from lms.models import AuditEvent, OutboxMessage, Role
from tests.campaigns.helpers import make_campaign

OFFICE_GETS = [
    "/office/campaigns/",
    "/office/campaigns/templates",
    "/office/campaigns/new",
    "/office/campaigns/{id}",
    "/office/campaigns/{id}/edit",
    "/office/campaigns/{id}/preview",
    "/office/campaigns/{id}/preview.html",
    "/office/campaigns/{id}/progress.json",
    "/office/campaigns/{id}/recipients.csv",
    "/office/campaigns/{id}/steps/new",
]
OFFICE_POSTS = ["/office/campaigns/{id}/schedule", "/office/campaigns/{id}/test", "/office/campaigns/templates/x"]


@pytest.mark.parametrize("url", OFFICE_GETS + OFFICE_POSTS)
def test_learners_are_refused_every_office_page(client, auth, make, db, url):
    campaign = make_campaign(db.session)
    auth.login(make.user())
    method = client.post if url in OFFICE_POSTS else client.get
    assert method(url.format(id=campaign.id)).status_code == 403
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT


@pytest.fixture
def officer(auth, make):
    person = make.user(roles=[Role.OFFICER], locale="en")
    auth.login(person)
    return person


def test_officer_builds_a_campaign_and_schedules_it(client, officer, make, db):
    unit = make.unit()
    member = make.user(unit=unit)
    make.user()  # outside the unit
    form = {
        "name_en": "Integrity week",
        "category": "awareness",
        "audience_kind": "unit",
        "audience_unit": str(unit.id),
        "track_opens": "y",
        "track_clicks": "y",
        "escalate_after": "0",
    }
    count = client.get("/office/campaigns/audience-count", query_string=form).get_json()
    assert count["count"] == 1
    response = client.post("/office/campaigns/new", data=form)
    campaign = db.session.scalars(select(Campaign)).one()
    assert response.headers["Location"].endswith(f"/office/campaigns/{campaign.id}/steps/new")
    step = {
        "subject_en": "Hi {name}",
        "body_en": "Read [this](https://metu.kz/ethics).",
        "subject_ru": "Привет",
        "subject_kk": "Сәлем",
        "body_ru": "Текст",
        "body_kk": "Мәтін",
        "timing": "now",
    }
    assert client.post(f"/office/campaigns/{campaign.id}/steps/new", data=step).status_code == 302
    preview = client.get(f"/office/campaigns/{campaign.id}/preview")
    assert member.full_name.encode() in preview.data
    assert client.post(f"/office/campaigns/{campaign.id}/schedule").status_code == 302
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.RUNNING
    run_due_steps(db.session)
    (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert message.user_id == member.id
    assert "/t/c/" in message.body_html and "/t/o/" in message.body_html
    progress = client.get(f"/office/campaigns/{campaign.id}/progress.json").get_json()
    assert progress["queued"] == 1
    exported = client.get(f"/office/campaigns/{campaign.id}/recipients.csv").data.decode("utf-8-sig")
    assert exported.splitlines()[0].startswith("E-mail,Name,Step,Status,Sent")
    assert member.email in exported
    workbook = load_workbook(io.BytesIO(client.get(f"/office/campaigns/{campaign.id}/recipients.xlsx").data))
    rows = list(workbook.active.values)
    assert rows[1][0] == member.email
    assert rows[1][3] == "queued"  # in the officer's language
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"campaign.create", "campaign.schedule"} <= actions


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("subject_en", "Hi {nmae}", b"unknown placeholder {nmae}"),
        ("cron", "every monday", b"not a cron rule"),
        ("send_at", "2020-01-01T10:00", b"This time has already passed"),  # a mistyped year
    ],
)
def test_a_step_that_could_not_be_sent_is_refused_with_the_reason(client, officer, db, field, value, error):
    campaign = make_campaign(db.session)
    data = {"subject_en": "Hi", "timing": {"cron": "cron", "send_at": "at"}.get(field, "now"), field: value}
    response = client.post(f"/office/campaigns/{campaign.id}/steps/new", data=data)
    assert response.status_code == 200
    assert error in response.data
    assert len(db.session.get(Campaign, campaign.id).steps) == 1


def test_preview_shows_the_html_in_a_sandbox_and_only_for_the_audience(client, officer, make, db):
    unit = make.unit()
    member, outsider = make.user(unit=unit, full_name="Member Person"), make.user(full_name="Outside Person")
    campaign = make_campaign(db.session, audience={"kind": "unit", "unit_id": unit.id, "sub": True})
    page = client.get(f"/office/campaigns/{campaign.id}/preview")
    assert b"Member Person" in page.data and b"<iframe" in page.data
    assert "frame-src 'self'" in page.headers["Content-Security-Policy"]
    html = client.get(f"/office/campaigns/{campaign.id}/preview.html", query_string={"user": member.id})
    assert b"Dear Member Person" in html.data
    assert "sandbox" in html.headers["Content-Security-Policy"]
    for url in ("preview", "preview.html"):
        assert (
            client.get(f"/office/campaigns/{campaign.id}/{url}", query_string={"user": outsider.id}).status_code == 404
        )


def test_send_a_test_to_me(client, officer, db):
    campaign = make_campaign(db.session)
    client.post(f"/office/campaigns/{campaign.id}/test")
    (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert message.to_addr == officer.email
    assert message.subject.startswith("[Test] Hello")


def test_cancelled_campaign_cannot_be_resumed(client, officer, db):
    campaign = make_campaign(db.session)
    client.post(f"/office/campaigns/{campaign.id}/cancel")
    response = client.post(f"/office/campaigns/{campaign.id}/resume", follow_redirects=True)
    assert b"not possible" in response.data
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.CANCELLED


def _one_message(db, make, **campaign_fields):
    person = make.user(locale="ru")
    campaign = make_campaign(db.session, **campaign_fields)
    campaign.schedule()
    campaign.steps[0].next_run_at = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.commit()
    run_due_steps(db.session, datetime(2026, 12, 1, 5, tzinfo=UTC))
    return person, db.session.scalars(select(OutboxMessage)).one()


def test_unsubscribe_link_works_without_signing_in_in_the_persons_language(client, make, db):
    person, message = _one_message(db, make)
    link = re.search(r"http://adal\.test(/unsubscribe/\S+)>", message.headers["List-Unsubscribe"]).group(1)
    page = client.get(link)
    assert page.status_code == 200
    assert b'lang="ru"' in page.data
    assert client.post(link).status_code == 200
    pref = db.session.scalars(select(EmailPreference)).one()
    assert (pref.user_id, pref.category) == (person.id, Category.AWARENESS)
    # RFC 8058 one-click, repeated: still one preference, no error
    assert client.post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert len(db.session.scalars(select(EmailPreference)).all()) == 1


def test_forged_links_are_refused(client, make, db):
    person, message = _one_message(db, make)
    link = re.search(r"/unsubscribe/(\S+)>", message.headers["List-Unsubscribe"]).group(1)
    assert client.get(f"/unsubscribe/{link[:-3]}abc").status_code == 404
    with client.application.test_request_context():
        forged_mandatory = tracking.unsubscribe_url(person.id, Category.TRAINING_REMINDER, None)
    assert client.post(forged_mandatory.replace("http://adal.test", "")).status_code == 404
    click = re.search(r'href="http://adal\.test(/t/c/[^"]+)"', message.body_html).group(1)
    assert client.get(click[:-4] + "AAAA").status_code == 404
    message_part, url_part = click.rsplit("/", 1)
    evil = base64.urlsafe_b64encode(b'"https://evil.example/"').rstrip(b"=").decode()
    assert client.get(f"{message_part}/{evil}.{url_part.split('.')[1]}").status_code == 404
    assert db.session.scalars(select(EmailPreference)).first() is None


def test_click_and_open_are_recorded_and_lead_only_where_signed(client, make, db):
    _person, message = _one_message(db, make)
    click = re.search(r'href="http://adal\.test(/t/c/[^"]+)"', message.body_html).group(1)
    response = client.get(click)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("http://adal.test/learning")
    pixel = re.search(r'src="http://adal\.test(/t/o/[^"]+)"', message.body_html).group(1)
    assert client.get(pixel).mimetype == "image/gif"
    db.session.refresh(message)
    assert message.clicked_at is not None and message.opened_at is not None


def test_tracking_can_be_switched_off(make, db):
    _person, message = _one_message(db, make, track_opens=False, track_clicks=False)
    assert "/t/o/" not in message.body_html and "/t/c/" not in message.body_html


def test_preferences_page_turns_optional_mail_off_and_on(client, auth, make, db):
    person = make.user()
    auth.login(person)
    page = client.get("/profile/email")
    assert page.status_code == 200
    client.post("/profile/email", data={})
    assert db.session.scalars(select(EmailPreference.category)).all() == [Category.AWARENESS]
    client.post("/profile/email", data={"category": "awareness"})
    assert db.session.scalars(select(EmailPreference)).first() is None


def test_a_campaign_from_a_template_is_named_in_the_officers_language(client, auth, make, db):
    auth.login(make.user(roles=[Role.OFFICER], locale="ru"))
    response = client.post("/office/campaigns/templates/international-anti-corruption-day")
    assert response.status_code == 302
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.name == "Международный день борьбы с коррупцией (9 декабря)"


@pytest.mark.parametrize(
    "url",
    ["/office/campaigns/{id}", "/office/campaigns/{id}/edit", "/office/campaigns/new", "/office/campaigns/templates"],
)
def test_campaign_pages_lead_back_to_the_list(client, officer, db, url):
    campaign = make_campaign(db.session)
    page = client.get(url.format(id=campaign.id)).get_data(as_text=True)
    assert '<li class="breadcrumb-item"><a href="/office/campaigns/">Campaigns</a></li>' in page
