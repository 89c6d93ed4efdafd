"""The office's contacts in course texts: ``{{ office.phone }}`` and the like, filled in when shown.

Lessons, signed documents and questions name the compliance officer's phone and e-mail; written
as placeholders, they follow the office's settings (which also feed the footer and e-mails), so a
new phone number is one edit, not thirty. The text is filled before it is shown or hashed, so a
signature records the number the signer read.
"""

from __future__ import annotations

import re

from lms.database import localized
from lms.extensions import db
from lms.office_settings import office_contacts

#: ``{{ office.NAME }}``, spaces optional; NAME is a key of the office's contacts.
PLACEHOLDER_RE = re.compile(r"\{\{\s*office\.([a-z]+)\s*\}\}")
FIELDS = ("phone", "email", "room", "officer", "university", "website")


def fill_office_contacts(text: str, contacts: dict, locale: str) -> str:
    """``text`` with every known placeholder replaced by the contact (in ``locale`` when it has languages)."""

    def value(match: re.Match) -> str:
        if match[1] not in FIELDS:
            return match[0]
        found = contacts.get(match[1])
        return localized(found, locale)[0] if isinstance(found, dict) else str(found or "")

    return PLACEHOLDER_RE.sub(value, text)


def with_office_contacts(text: str, locale: str) -> str:
    """``text`` as a learner sees it; reads the settings only when the text holds a placeholder."""
    if not text or "{{" not in text:
        return text
    return fill_office_contacts(text, office_contacts(db.session), locale)
