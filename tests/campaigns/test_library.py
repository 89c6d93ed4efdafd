"""The bundled campaign templates are complete in kk, ru and en, and each makes a working campaign."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from campaigns.demo import seed_demo_campaigns
from campaigns.library import TemplateProblem, campaign_from_template, load_template, template_files, template_problems
from campaigns.models import Campaign, StepTiming
from campaigns.scheduling import first_run
from courses.audience.rules import validate_rule

ALMATY = ZoneInfo("Asia/Almaty")
FILES = template_files()


def test_the_library_holds_the_office_usual_campaigns():
    keys = {path.stem for path in FILES}
    assert len(keys) >= 6
    assert {"international-anti-corruption-day", "training-due-soon", "training-overdue"} <= keys


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_template_is_complete_and_makes_a_campaign(db, path):
    data = load_template(path)
    assert data["key"] == path.stem
    validate_rule(data["audience"])
    now = datetime(2026, 12, 20, 5, tzinfo=UTC)
    campaign = campaign_from_template(db.session, path.stem, ALMATY, now, None)
    db.session.flush()
    for step in campaign.steps:
        assert first_run(step, now, ALMATY) >= now or step.timing != StepTiming.AT
    if data["category"] == "awareness":
        assert all("{unsubscribe_link}" in body for body in data["steps"][-1]["body"].values())


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["steps"][0]["subject"].pop("kk"), "the kk text is missing"),
        (lambda d: d["steps"][0]["body"].update(ru="Привет {nmae}"), "unknown placeholder {nmae}"),
        (lambda d: d["steps"][0]["body"].update(en="Hi {name"), "unbalanced brace"),
        (lambda d: d.update(category="spam"), "unknown category"),
    ],
)
def test_a_broken_template_is_refused_with_the_reason(change, problem):
    data = yaml.safe_load(FILES[0].read_text(encoding="utf-8"))
    change(data)
    assert any(problem in p for p in template_problems(data))


def test_a_dated_template_points_at_the_coming_date(db):
    after = datetime(2026, 12, 10, tzinfo=UTC)  # 9 December has passed this year
    campaign = campaign_from_template(db.session, "international-anti-corruption-day", ALMATY, after, None)
    assert campaign.steps[0].send_at.year == 2027
    with pytest.raises(TemplateProblem):
        campaign_from_template(db.session, "no-such-template", ALMATY, after, None)


def test_demo_campaigns_are_named_in_the_university_language(app, db):
    seed_demo_campaigns(db.session)
    names = db.session.scalars(select(Campaign.name).order_by(Campaign.id)).all()
    assert "Халықаралық сыбайлас жемқорлыққа қарсы күрес күні (9 желтоқсан)" in names
    assert not any(name.startswith(("Mandatory", "Welcome", "International")) for name in names)
