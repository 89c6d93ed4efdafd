"""The step editor: only the chosen timing's fields, the timing in words with its next time, Markdown help."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from campaigns.models import CampaignStep, StepTiming
from campaigns.timing_words import cron_words, timing_summary
from lms.models import Role
from tests.campaigns.helpers import make_campaign

ALMATY = ZoneInfo("Asia/Almaty")
#: Tuesday December 1, 2026, 11:00 in Almaty: the first Monday of the month is the 7th.
NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


@pytest.fixture
def officer(auth, make):
    person = make.user(roles=[Role.OFFICER], locale="en")
    auth.login(person)
    return person


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("0 10 * * 1#1", "every first Monday of the month at 10:00"),
        ("30 9 * * *", "every day at 09:30"),
        ("0 8 * * 1-5", "every working day (Monday to Friday) at 08:00"),
        ("0 18 * * 5", "every Friday at 18:00"),
        ("0 18 * * 0", "every Sunday at 18:00"),
        ("0 12 15 * *", "on day 15 of every month at 12:00"),
        ("*/5 * * * *", "by the rule “*/5 * * * *”"),  # an unusual shape is quoted, not guessed at
        ("0 10 1 6 *", "by the rule “0 10 1 6 *”"),
    ],
)
def test_usual_cron_rules_read_as_words(app, rule, words):
    with app.test_request_context(), force_locale("en"):
        assert cron_words(rule) == words


@pytest.mark.parametrize(
    ("locale", "month"),
    [("en", "December 7, 2026, 10:00"), ("ru", "7 декабря 2026"), ("kk", "2026\u202fж. 7 желтоқсан")],
)
def test_the_next_time_is_the_schedulers_own_in_the_readers_language(app, locale, month):
    step = CampaignStep(timing=StepTiming.CRON, cron="0 10 * * 1#1")
    with app.test_request_context(), force_locale(locale):
        summary = timing_summary(step, ALMATY, NOW)
    assert month in summary
    if locale == "en":
        assert summary == "every first Monday of the month at 10:00, next: December 7, 2026, 10:00"


def test_other_timings_in_words(app):
    def words(**fields):
        with app.test_request_context(), force_locale("en"):
            return timing_summary(CampaignStep(**fields), ALMATY, NOW)

    assert words(timing=StepTiming.NOW) == "as soon as the campaign is scheduled"
    assert words(timing=StepTiming.DRIP, delay_days=3) == "3 days after the person got the previous step"
    assert (
        words(timing=StepTiming.RELATIVE_TO_DUE, offset_days=-7, repeat_days=2)
        == "7 days before the due date, then every 2 days until completed"
    )
    at = datetime(2026, 12, 16, 4, 30, tzinfo=UTC)
    assert words(timing=StepTiming.AT, send_at=at) == "once, next: December 16, 2026, 09:30"


def _group_hidden(page: str, name: str) -> bool:
    match = re.search(
        r'data-timing="[a-z_]+"\s*(hidden)?>\s*<div class="mb-3">\s*<label class="form-label" for="' + name, page
    )
    assert match, name
    return bool(match.group(1))


def test_the_form_shows_only_the_chosen_timings_fields(client, officer, db):
    campaign = make_campaign(db.session, steps=[{"timing": StepTiming.CRON, "cron": "0 10 * * 1#1"}])
    page = client.get(f"/office/campaigns/{campaign.id}/steps/{campaign.steps[0].id}").get_data(as_text=True)
    assert not _group_hidden(page, "cron")
    assert all(_group_hidden(page, name) for name in ("send_at", "delay_days", "offset_days", "repeat_days"))
    assert "every first Monday of the month at 10:00, next: " in page
    assert "js/step-timing.js" in page
    assert "Formatting the text (Markdown)" in page


def test_update_the_summary_without_script_shows_the_new_timings_fields_and_saves_nothing(client, officer, db):
    campaign = make_campaign(db.session)
    step = campaign.steps[0]
    data = {"subject_en": "Hi", "timing": "relative_to_due", "offset_days": "-3", "repeat_days": "2", "refresh": "1"}
    response = client.post(f"/office/campaigns/{campaign.id}/steps/{step.id}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert not _group_hidden(page, "offset_days") and not _group_hidden(page, "repeat_days")
    assert _group_hidden(page, "cron")
    assert "3 days before the due date, then every 2 days until completed" in page
    db.session.refresh(step)
    assert step.timing == StepTiming.NOW and step.offset_days is None


def test_saving_keeps_only_the_chosen_timings_values(client, officer, db):
    campaign = make_campaign(db.session)
    step = campaign.steps[0]
    data = {"subject_en": "Hi", "timing": "drip", "delay_days": "2", "offset_days": "-3", "cron": "0 10 * * 1"}
    assert client.post(f"/office/campaigns/{campaign.id}/steps/{step.id}", data=data).status_code == 302
    db.session.refresh(step)
    assert (step.timing, step.delay_days, step.offset_days, step.cron) == (StepTiming.DRIP, 2, None, None)


def test_the_campaign_page_lists_each_steps_timing_in_words(client, officer, db):
    campaign = make_campaign(
        db.session,
        steps=[
            {"timing": StepTiming.CRON, "cron": "0 10 * * 1#1"},
            {"timing": StepTiming.RELATIVE_TO_DUE, "offset_days": -7, "repeat_days": 3},
        ],
    )
    page = client.get(f"/office/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'title="0 10 * * 1#1">every first Monday of the month at 10:00<' in page
    assert "7 days before the due date, then every 3 days until completed" in page
