"""``flask --app app check``: is this configuration ready to go live?

One plain function per check, each returning a ``Result`` whose message says in plain words what
is right or wrong and what to do. ``run_checks`` runs them all; the command prints each with OK or
PROBLEM and exits non-zero on any problem, so a deployment script can stop before going live.
"""

import logging
import os
import smtplib
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask_babel import gettext as _
from limits.storage import storage_from_string
from sqlalchemy.exc import SQLAlchemyError

from lms.extensions import db
from lms.keys import split_keys

log = logging.getLogger(__name__)

#: The secret key signs sessions and links; 32 characters is 128 bits as hexadecimal.
MIN_SECRET_LENGTH = 32
#: ``deploy/gunicorn.conf.py`` starts this many web workers when ``ADAL_WEB_WORKERS`` is unset.
DEFAULT_WEB_WORKERS = 2


@dataclass(frozen=True)
class Result:
    ok: bool
    message: str


def web_workers() -> int:
    """The number of web workers ``deploy/gunicorn.conf.py`` starts (``ADAL_WEB_WORKERS``)."""
    return int(os.environ.get("ADAL_WEB_WORKERS", DEFAULT_WEB_WORKERS))


def is_sqlite(app: Flask) -> bool:
    return app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


def check_secret_key(app: Flask) -> Result:
    """Sessions and every link are signed with it: a generated key lives on one machine only."""
    return _check_key(
        app,
        "ADAL_SECRET_KEY",
        app.config["SECRET_KEY"],
        "secret_key",
        _("The secret key is the generated development one: set ADAL_SECRET_KEY."),
        _("The secret key is set."),
    )


def check_totp_key(app: Flask) -> Result:
    """Second factors are encrypted with it: a generated key would make each machine read only its own."""
    return _check_key(
        app,
        "ADAL_TOTP_KEY",
        app.config["ADAL_TOTP_KEY"],
        "totp_key",
        _("The second factors' key is the generated development one: set ADAL_TOTP_KEY."),
        _("The second factors' key is set."),
    )


def check_cases_key(app: Flask) -> Result:
    """Reported concerns are encrypted with it: a generated key would make each machine read only its own."""
    from_file = os.environ.get("ADAL_CASES_KEY_FILE") and not os.environ.get("ADAL_CASES_KEY")
    return _check_key(
        app,
        "ADAL_CASES_KEY_FILE" if from_file else "ADAL_CASES_KEY",
        split_keys(app.config["ADAL_CASES_KEY"])[0],
        "cases_key",
        _("The reported concerns' key is the generated development one: set ADAL_CASES_KEY."),
        _("The reported concerns' key is set."),
    )


def _check_key(app: Flask, variable: str, key: str, file_name: str, generated_message: str, set_message: str) -> Result:
    """A key from ``variable``, long enough, and not the one generated into ``instance/file_name``."""
    generated = Path(app.instance_path) / file_name
    if not os.environ.get(variable) or (generated.exists() and generated.read_text().strip() == key):
        return Result(False, generated_message)
    if len(key) < MIN_SECRET_LENGTH:
        message = _(
            "%(variable)s is too short: use at least %(length)s characters.",
            variable=variable,
            length=MIN_SECRET_LENGTH,
        )
        return Result(False, message)
    return Result(True, set_message)


def check_base_url(app: Flask) -> Result:
    url = app.config["ADAL_BASE_URL"]
    if not url.startswith("https://"):
        return Result(False, _("ADAL_BASE_URL is %(url)s: it must start with https://.", url=url))
    return Result(True, _("ADAL_BASE_URL is %(url)s.", url=url))


def check_cookies_secure(app: Flask) -> Result:
    """Session and remember-me cookies must only travel over HTTPS."""
    if not (app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]):
        return Result(False, _("Cookies are sent over plain HTTP: they become secure with an https ADAL_BASE_URL."))
    return Result(True, _("Cookies are sent over HTTPS only."))


def check_database_for_workers(app: Flask) -> Result:
    """SQLite lets one process write at a time: several web workers queue behind each other."""
    workers = web_workers()
    if is_sqlite(app) and workers > 1:
        return Result(
            False,
            _(
                "%(workers)s web workers (ADAL_WEB_WORKERS) share one SQLite file: use PostgreSQL "
                "(ADAL_DATABASE_URL) or one worker.",
                workers=workers,
            ),
        )
    return Result(True, _("The database suits %(workers)s web workers.", workers=workers))


def check_rate_limit_storage(app: Flask) -> Result:
    """Rate limits kept in memory are per process: every worker would allow its own ten logins."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    if uri.startswith("memory://"):
        return Result(False, _("Rate limits are kept in each process's memory: set ADAL_REDIS_URL."))
    try:
        answers = storage_from_string(uri, socket_timeout=3, socket_connect_timeout=3).check()
    except Exception:  # a bad address or a missing driver: the same answer for the operator
        answers = False
    if not answers:
        return Result(False, _("The rate-limit storage (ADAL_REDIS_URL) does not answer."))
    return Result(True, _("The rate-limit storage answers."))


def check_smtp(app: Flask) -> Result:
    from lms.mail.delivery import ServerUnavailable, SmtpTransport

    url = app.config["ADAL_SMTP_URL"]
    if not url:
        return Result(False, _("ADAL_SMTP_URL is not set: no e-mail would be sent."))
    try:
        transport = SmtpTransport(url, timeout=5)
        transport.open()
        code, _reply = transport.connection.ehlo()
        transport.close()
    except (ValueError, ServerUnavailable, OSError, smtplib.SMTPException) as error:
        return Result(False, _("The mail server does not answer: %(error)s", error=error))
    if code != 250:
        return Result(False, _("The mail server refused EHLO (%(code)s).", code=code))
    return Result(True, _("The mail server answers."))


def check_schema(app: Flask) -> Result:
    from lms.health import Schema, migration_heads, schema_state

    try:
        state = schema_state(db.session, migration_heads(app.extensions["migrate"].directory))
    except SQLAlchemyError as error:
        db.session.rollback()
        return Result(False, _("The database does not answer: %(error)s", error=error.__class__.__name__))
    if state == Schema.BEHIND:
        return Result(False, _("The database schema is behind the code: run flask --app app db upgrade."))
    if state == Schema.UNKNOWN:
        return Result(False, _("The database records no schema revision: run flask --app app db upgrade."))
    return Result(True, _("The database schema is the code's."))


def check_storage_writable(app: Flask) -> Result:
    folder = Path(app.config["ADAL_STORAGE_PATH"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError:
        return Result(False, _("The storage folder %(folder)s (ADAL_STORAGE_PATH) is not writable.", folder=folder))
    return Result(True, _("The storage folder %(folder)s is writable.", folder=folder))


CHECKS: tuple[Callable[[Flask], Result], ...] = (
    check_secret_key,
    check_totp_key,
    check_cases_key,
    check_base_url,
    check_cookies_secure,
    check_database_for_workers,
    check_rate_limit_storage,
    check_smtp,
    check_schema,
    check_storage_writable,
)


def run_checks(app: Flask) -> list[Result]:
    return [check(app) for check in CHECKS]


def warn_sqlite_under_gunicorn(app: Flask) -> None:
    """Say at start-up what ``check`` would: several gunicorn workers on one SQLite file."""
    if "gunicorn" in sys.modules and is_sqlite(app) and web_workers() > 1:
        log.warning(
            "%s gunicorn workers (ADAL_WEB_WORKERS) share one SQLite file: writes will queue; use PostgreSQL.",
            web_workers(),
        )
