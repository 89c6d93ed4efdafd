"""Languages: which one a request speaks, and the helpers templates use to format in it."""

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from lms.config import DEFAULT_LOCALE, LOCALES
from lms.database import as_utc, localized
from lms.names import name_in, name_markup

LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


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


def init_app(app: Flask) -> None:
    """Make the language helpers available to every template."""
    app.add_template_filter(format_decimal, "format_number")
    app.add_template_filter(lambda value: format_date(as_utc(value)) if value else "", "format_local_date")
    app.add_template_filter(
        lambda value: format_datetime(as_utc(value), "short") if value else "", "format_local_datetime"
    )

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
