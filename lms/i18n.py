"""Languages: which one a request speaks, and the helpers templates use to format in it."""

from datetime import date, datetime

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale, gettext
from flask_login import current_user

from lms.config import DEFAULT_LOCALE, LOCALES
from lms.database import as_utc, localized
from lms.names import name_in, name_markup

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def gettext_if_request(text: str, **params) -> str:
    """Translated on a page (the upload form); plain English in the CLI, which has no reader."""
    if has_request_context():
        return gettext(text, **params)
    return text % params if params else text


def select_locale() -> str:
    """The person's choice, else the one picked on this browser, else the browser's, else Kazakh."""
    if not has_request_context():  # CLI and scheduled jobs: the configured default
        return current_app.config.get("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or current_app.config.get(
        "BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE
    )


def current_locale() -> str:
    """The request's language code (``kk``, ``ru`` or ``en``)."""
    locale = get_locale()
    return locale.language if locale else DEFAULT_LOCALE


#: One date format per kind of place, each with a four-digit year (issue 15): ``short`` in lists,
#: tables and notes beside a field (01.12.2026), ``long`` in sentences and headings (Babel's long
#: form: "2026 ж. 1 желтоқсан", "1 декабря 2026 г.", "December 1, 2026"). Babel's own short
#: form has a two-digit year in kk and en, and its medium one reads "2026 ж. 01 жел.".
SHORT_DATE = {"kk": "dd.MM.yyyy", "ru": "dd.MM.yyyy", "en": "MMM d, yyyy"}
#: Babel's format names, as templates pass them to ``dateformat``, to the kind of place.
DATE_KINDS = {None: "short", "short": "short", "medium": "short", "long": "long", "full": "long"}


def local_date(value: date | datetime | None, kind: str = "short") -> str:
    """A date (or a stored UTC time's date in the university's zone) as ``kind`` ("short" or "long")."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = as_utc(value)
    return format_date(value, "long" if kind == "long" else SHORT_DATE.get(current_locale(), SHORT_DATE["en"]))


def local_datetime(value: datetime | None, kind: str = "short") -> str:
    """A stored UTC time in the university's zone: its date as ``kind``, then hours and minutes."""
    if not value:
        return ""
    return f"{local_date(value, kind)}, {format_time(as_utc(value), 'HH:mm')}"


def _date_filter(value, format=None):
    """``dateformat``: Babel's format names mean the kinds of place above; a pattern stays a pattern."""
    if format in DATE_KINDS:
        return local_date(value, DATE_KINDS[format])
    return format_date(as_utc(value) if isinstance(value, datetime) else value, format) if value else ""


def _datetime_filter(value, format=None):
    """``datetimeformat``, as ``dateformat`` with the time (hours and minutes) after the date."""
    if format in DATE_KINDS:
        return local_datetime(value, DATE_KINDS[format])
    return format_datetime(as_utc(value), format) if value else ""


def init_app(app: Flask) -> None:
    """Make the language helpers available to every template (after Flask-Babel, whose date filters
    these replace so that every page writes dates the same way)."""
    app.add_template_filter(format_decimal, "format_number")
    app.add_template_filter(_date_filter, "dateformat")
    app.add_template_filter(_datetime_filter, "datetimeformat")
    app.add_template_filter(local_date, "format_local_date")
    app.add_template_filter(local_datetime, "format_local_datetime")

    @app.context_processor
    def language_context():
        return {
            "LOCALES": LOCALES,
            "LANGUAGE_NAMES": LANGUAGE_NAMES,
            "current_locale": current_locale(),
            "tr": lambda texts: localized(texts, current_locale())[0],
            # An office-made name: ``local_name`` marks another language, ``local_name_text`` is plain.
            "local_name": lambda texts, fallback="": name_markup(texts, current_locale(), fallback),
            "local_name_text": lambda texts, fallback="": name_in(texts, current_locale(), fallback)[0],
        }
