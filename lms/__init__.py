"""Adal's platform package: the app factory and everything the features stand on."""

import logging
from pathlib import Path

from flask import Flask, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from lms import config as config_module
from lms.database import render_migration_type
from lms.extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent
config_module.use_shipped_time_zones()  # before any time is computed, in every process that imports Adal
#: Seconds a browser or client is told to wait when the database is down (a pool's reconnect).
DATABASE_RETRY_AFTER = 30


def create_app(overrides: dict | None = None) -> Flask:
    """Build the Adal app; ``overrides`` replace config values (tests use them)."""
    app = Flask(
        "adal",
        root_path=str(ROOT),
        instance_path=str(ROOT / "instance"),
        template_folder="templates",
        static_folder="static",
    )
    app.config.update(config_module.load_config(app.instance_path, overrides))
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_scheduler_jobs(app)
    configure_logging(app)
    return app


def register_extensions(app: Flask) -> None:
    from lms import i18n, navigation, security, sessions

    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True, render_item=render_migration_type
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "lms.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"
    sessions.init_app(app)  # who is signed in: the person of a live sign-in, with their roles
    i18n.init_app(app)
    navigation.init_app(app)
    security.init_app(app)


def register_blueprints(app: Flask) -> None:
    """The platform's pages, then each feature package through its own ``init_app``."""
    import campaigns
    import concerns
    import courses
    import dashboard
    import public_page
    from lms import health, views
    from lms.audit import views as audit_views
    from lms.mail import mailbox_views
    from lms.navigation import add_nav_item
    from lms.people import views as people_views
    from lms.permissions import OFFICE_ROLES
    from lms.two_factor import views as two_factor_views
    from lms.units import views as unit_views

    app.register_blueprint(views.bp)
    dashboard.init_app(app)  # first in the office menu
    add_nav_item(app, "lms.office_settings", _l("Office settings"), OFFICE_ROLES, "office", university_wide=True)
    people_views.init_app(app)
    unit_views.init_app(app)
    audit_views.init_app(app)
    courses.init_app(app)
    campaigns.init_app(app)
    mailbox_views.init_app(app)
    two_factor_views.init_app(app)  # the code after the password, enrolment, the administrator's reset
    health.init_app(app)  # /healthz, /readyz, /metrics and the office's system status
    public_page.init_app(app)  # the page visitors see at / and /about, regulatory documents, transparency figures
    concerns.init_app(app)  # /report (no sign-in, nothing recorded about the reporter) and the case handlers' /cases
    import events  # issue 14: seminars and events

    events.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from lms import i18n

    messages = {
        400: lambda: _("The request could not be understood."),
        403: lambda: _("You do not have permission to open this page."),
        404: lambda: _("This page does not exist, or it is not yours to see."),
        413: lambda: _("The file is too large."),
        429: lambda: _("Too many attempts. Please wait a minute and try again."),
    }

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        message = messages.get(code, lambda: _("Something went wrong on our side."))()
        missing = g.get("missing_roles") if code == 403 else None
        return render_template("error.html", code=code, message=message, missing=missing), code

    def database_unavailable(error):
        """The database is down: our page with 503, rendered without touching the database."""
        app.logger.error("The database is unavailable: %s", error.__class__.__name__)
        db.session.remove()  # give back the broken connection; the pool pings the next one
        # Loading the signed-in person would query: the language comes from the session instead,
        # and the page is rendered without the context processors (menus, footer, mail banner).
        g._login_user = login_manager.anonymous_user()
        page = app.jinja_env.get_template("database_down.html")
        body = page.render(
            message=_("Adal cannot reach its database right now. Please try again in a minute."),
            locale=i18n.current_locale(),
            request=request,
        )
        return body, 503, {"Retry-After": str(DATABASE_RETRY_AFTER)}

    for code in (*messages, 500):
        app.register_error_handler(code, render_error)
    for error_class in (OperationalError, InterfaceError, DisconnectionError):
        app.register_error_handler(error_class, database_unavailable)


def register_commands(app: Flask) -> None:
    from lms import backup, cli

    cli.init_app(app)
    backup.init_app(app)


def register_scheduler_jobs(app: Flask) -> None:
    """The platform's periodic jobs (delivery of the outbox); features add theirs in ``init_app``."""
    from lms.mail import delivery

    delivery.init_app(app)


def configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per job every 5 s
        logging.getLogger("weasyprint").setLevel(logging.WARNING)  # not seven lines per PDF rendered
        logging.getLogger("fontTools").setLevel(logging.WARNING)
    from lms.checks import warn_sqlite_under_gunicorn

    warn_sqlite_under_gunicorn(app)
