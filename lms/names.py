"""Names the office makes (a campaign's…) in the reader's language, or another one with a marker.

Such a name is a ``{locale: text}`` field like a course's title, next to the name as first saved
(the fallback, also what rows made before names had languages hold). A page says so when the name
is not in the reader's language, as a course's lesson does for its text.
"""

from flask_babel import gettext as _
from markupsafe import Markup

from lms.database import localized


def name_in(texts: dict | None, locale: str, fallback: str = "") -> tuple[str, str | None]:
    """The name for ``locale`` and the language it is in (``None``: the fallback, language unknown)."""
    text, shown = localized(texts, locale)
    return (text, shown) if text else (fallback, None)


def name_markup(texts: dict | None, locale: str, fallback: str = "") -> Markup:
    """The name as HTML: in another language it carries ``lang`` and a marker naming that language."""
    text, shown = name_in(texts, locale, fallback)
    if shown == locale:
        return Markup("{}").format(text)
    note = _("Not yet named in your language")
    return Markup(
        '<span{}>{}</span> <span class="badge text-bg-light border name-fallback" title="{}">'
        '<span class="visually-hidden">{}: </span>{}</span>'
    ).format(Markup(' lang="{}"').format(shown) if shown else "", text, note, note, shown or "?")


def names_from_fields(values: dict[str, str | None]) -> dict[str, str]:
    """The ``{locale: name}`` of a form's per-language fields, without the empty ones."""
    return {locale: value.strip() for locale, value in values.items() if value and value.strip()}
