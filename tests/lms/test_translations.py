"""Every string of the interface is translated into Kazakh and Russian, and the catalogue is current."""

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, format_datetime

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "translations"


def _catalogue(locale):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def _untranslated(catalog) -> list[str]:
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


@pytest.mark.parametrize("locale", ["kk", "ru"])
def test_every_message_is_translated(locale):
    assert _untranslated(_catalogue(locale)) == []


def test_catalogue_holds_every_string_of_the_code(tmp_path):
    """A string added to a template or the code without `make extract` fails here."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "lms",
            "courses",
            "campaigns",
            "dashboard",
            "concerns",
            "public_page",
            "events",
            "templates",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as f:
        in_code = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    in_catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue("kk") if m.id}
    assert sorted(in_code - in_catalogue) == []


def test_almaty_is_utc_plus_five_even_in_summer(app):
    """Kazakhstan moved to one zone, UTC+5, in March 2024; an old tz database says +6."""
    assert datetime(2025, 6, 1, tzinfo=ZoneInfo("Asia/Almaty")).utcoffset().total_seconds() == 5 * 3600
    with app.test_request_context(), force_locale("kk"):
        shown = format_datetime(datetime(2025, 6, 1, 7, 0, tzinfo=ZoneInfo("UTC")), "HH:mm")
    assert shown == "12:00"
