"""Seminars and events: sessions, registration with a waiting list, tickets, reminders, attendance."""

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    """Register the event pages, the e-mail job, the menu entries and the audit sentences."""
    from events import audit_words, demo, jobs, models, views  # noqa: F401 (models: tables for Alembic)
    from events.office import views as office_views
    from lms.demo.university import add_demo_seeder
    from lms.navigation import add_nav_item
    from lms.permissions import OFFICE_ROLES

    app.register_blueprint(views.bp)
    app.register_blueprint(office_views.bp)
    add_nav_item(app, "events_office.index", _l("Events"), OFFICE_ROLES, "office", university_wide=True)
    add_nav_item(app, "events.index", _l("Events"))
    jobs.register(app)
    audit_words.init_app(app)
    add_demo_seeder(demo.seed_demo_events)
    from events import attendance  # the door's check-in, courses' seminar steps, attendance (helper "checkin")

    attendance.init_app(app)
