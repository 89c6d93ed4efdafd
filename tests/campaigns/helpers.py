"""Building campaigns for tests."""

from campaigns.models import Campaign, CampaignStep, Category, StepTiming

TEXTS = {
    "kk": ("Сәлем, {name}", "Құрметті {name}, [курс]({link})."),
    "ru": ("Здравствуйте, {name}", "Уважаемый(ая) {name}, [курс]({link})."),
    "en": ("Hello, {name}", "Dear {name}, [the course]({link})."),
}


def make_campaign(session, *, audience=None, category=Category.AWARENESS, steps=None, **fields) -> Campaign:
    """A draft campaign with one "now" step unless ``steps`` (dicts of CampaignStep fields) are given."""
    campaign = Campaign(name="Test campaign", category=category, audience=audience or {"kind": "all"}, **fields)
    for position, step in enumerate(steps or [{"timing": StepTiming.NOW}]):
        campaign.steps.append(
            CampaignStep(
                position=position,
                subject={loc: s for loc, (s, _b) in TEXTS.items()},
                body={loc: b for loc, (_s, b) in TEXTS.items()},
                **step,
            )
        )
    session.add(campaign)
    session.commit()
    return campaign
