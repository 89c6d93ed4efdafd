"""Awareness: campaigns, audiences, schedules, tracking and unsubscribe."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Register the campaign pages, the public e-mail links, the campaign job and signals."""
    from campaigns import (
        audit_words,
        demo,
        jobs,
        models,  # noqa: F401 (tables must be known to Alembic)
        public_views,
        views,
    )
    from lms.demo.university import add_demo_seeder
    from lms.navigation import add_nav_item
    from lms.permissions import OFFICE_ROLES

    app.register_blueprint(views.bp)
    app.register_blueprint(public_views.bp)
    add_nav_item(app, "campaigns.index", _l("Campaigns"), OFFICE_ROLES, "office", university_wide=True)
    add_nav_item(app, "campaign_links.preferences", _l("E-mail preferences"), section="profile")
    jobs.register(app)
    audit_words.init_app(app)
    add_demo_seeder(demo.seed_demo_campaigns)
