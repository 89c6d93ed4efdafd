"""The campaigns' audit events in words, registered from ``campaigns.init_app`` through ``lms.audit``."""

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.models import Campaign
from lms.audit.trail import Piece, add_action_group, add_sentence, add_target
from lms.names import name_in


def init_app(app: Flask) -> None:
    """Register the campaign group, its sentences, and how a campaign is named and linked."""
    add_target(app, "campaign", load_campaigns)
    add_action_group(app, "campaigns", _l("Campaigns"))
    for action, template in (
        ("campaign.create", _l("%(actor)s created the campaign %(target)s")),
        ("campaign.edit", _l("%(actor)s edited the campaign %(target)s")),
        ("campaign.step", _l("%(actor)s saved a step of the campaign %(target)s")),
        ("campaign.schedule", _l("%(actor)s scheduled the campaign %(target)s")),
        ("campaign.pause", _l("%(actor)s paused the campaign %(target)s")),
        ("campaign.resume", _l("%(actor)s resumed the campaign %(target)s")),
        ("campaign.cancel", _l("%(actor)s cancelled the campaign %(target)s")),
        ("campaign.resend_failed", _l("%(actor)s queued again %(messages)s failed e-mails of the campaign %(target)s")),
    ):
        add_sentence(app, action, template, "campaigns")


def load_campaigns(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Campaigns by id: their name linking to their page (one query)."""
    wanted = [int(i) for i in ids if str(i).isdigit()]
    rows = session.execute(select(Campaign.id, Campaign.name, Campaign.names).where(Campaign.id.in_(wanted)))
    return {
        str(row.id): {
            "target": Piece(name_in(row.names, locale, row.name)[0], url_for("campaigns.show", campaign_id=row.id))
        }
        for row in rows
    }
