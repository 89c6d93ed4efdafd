"""One date format per kind of place, with four-digit years, in kk, ru and en (issue 15)."""

from datetime import UTC, date, datetime

import pytest
from flask import render_template_string
from flask_babel import force_locale

from lms.i18n import local_date, local_datetime
from tests.courses.builders import build_course, enrol
from tests.courses.test_certificates import complete

#: 11:30 in Almaty on 1 December 2026.
MOMENT = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
NNBSP = "\u202f"  # Babel's narrow no-break space before "ж." and "г."
EXPECTED = {
    "kk": ("01.12.2026", f"2026{NNBSP}ж. 1 желтоқсан"),
    "ru": ("01.12.2026", f"1 декабря 2026{NNBSP}г."),
    "en": ("Dec 1, 2026", "December 1, 2026"),
}


@pytest.mark.parametrize("locale", EXPECTED)
def test_lists_get_the_short_form_and_sentences_the_long_one(app, locale):
    short, long = EXPECTED[locale]
    with app.test_request_context(), force_locale(locale):
        assert local_date(MOMENT) == short
        assert local_date(MOMENT, "long") == long
        assert local_date(date(2026, 12, 1)) == short
        assert local_datetime(MOMENT) == f"{short}, 11:30"
        assert local_datetime(MOMENT.replace(tzinfo=None)) == f"{short}, 11:30"  # SQLite's naive UTC
        assert local_date(None) == local_datetime(None) == ""


@pytest.mark.parametrize("locale", EXPECTED)
def test_babels_format_names_in_templates_mean_the_two_kinds(app, locale):
    short, long = EXPECTED[locale]
    template = (
        "{{ d|dateformat }}|{{ d|dateformat('medium') }}|{{ d|dateformat('short') }}|{{ d|format_local_date }}"
        "|{{ d|dateformat('long') }}|{{ d|datetimeformat('short') }}|{{ d|datetimeformat('long') }}"
        "|{{ d|dateformat('yyyy') }}"
    )
    with app.test_request_context(), force_locale(locale):
        shown = render_template_string(template, d=MOMENT).split("|")
    assert shown == [short, short, short, short, long, f"{short}, 11:30", f"{long}, 11:30", "2026"]
    assert all("26" not in part.replace("2026", "") for part in shown)  # never a two-digit year


@pytest.mark.parametrize("locale", ["kk", "ru"])
def test_the_learners_pages_show_the_list_form_in_lists_and_the_long_form_in_sentences(client, auth, make, db, locale):
    short, long = EXPECTED[locale]
    learner = make.user(locale=locale)
    course = build_course(db.session, validity_months=12)
    complete(db, enrol(db.session, learner, course), when=MOMENT)
    auth.login(learner)

    certificates = client.get("/certificates").get_data(as_text=True)
    assert short in certificates and "01.12.2027" in certificates  # issued, valid until: a list
    learning = client.get("/learning").get_data(as_text=True)
    assert long in learning  # "Completed on …": a sentence
    assert short not in learning
