"""Reported concerns: the anonymous channel, the reporter's follow-up, the case handlers' pages."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Register the reporting and case pages, the case jobs, the key rotation command, the audit words."""
    from concerns import (
        audit_words,
        case_views,
        cli,
        demo,
        jobs,
        log_rules,
        models,  # noqa: F401 (tables must be known to Alembic)
        views,
    )
    from lms.demo.university import add_demo_seeder
    from lms.models import Role
    from lms.navigation import add_nav_item

    app.register_blueprint(views.bp)
    app.register_blueprint(case_views.bp)
    add_nav_item(app, "cases.index", _l("Cases"), (Role.CASE_HANDLER,), "office", holders_only=True)
    add_nav_item(app, "cases.custody", _l("Identity requests"), (Role.CUSTODIAN,), "office", holders_only=True)
    jobs.register(app)
    cli.init_app(app)
    audit_words.init_app(app)
    log_rules.install()
    add_demo_seeder(demo.seed_demo_cases)
