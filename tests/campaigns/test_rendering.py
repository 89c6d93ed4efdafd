"""Placeholders, escaping and link rewriting of campaign messages."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from campaigns.rendering import TemplateError, compile_message, placeholder_errors, rewrite_links


def test_placeholders_are_filled_per_recipient_and_escaped_in_html():
    message = compile_message(
        "{name}, your course", "Hello **{name}**, open [the course]({link}).", "-- office", "<p>office</p>"
    )
    subject, text, html = message.fill({"name": "Әсем <b>", "link": "https://adal.test/learning/5"})
    assert subject == "Әсем <b>, your course"
    assert "Hello **Әсем <b>**" in text
    assert text.endswith("-- office")
    assert "<strong>Әсем &lt;b&gt;</strong>" in html
    assert 'href="https://adal.test/learning/5"' in html


def test_a_name_with_line_breaks_cannot_break_the_subject():
    subject, _text, _html = compile_message("Hi {name}", "x", "", "").fill({"name": "A\r\nBcc: x@evil.test"})
    assert "\r" not in subject and "\n" not in subject
    assert subject == "Hi A Bcc: x@evil.test"


@pytest.mark.parametrize(
    ("text", "problem"),
    [("Hi {nam}", "unknown placeholder {nam}"), ("Hi {name", "unbalanced brace"), ("{password}", "unknown")],
)
def test_bad_placeholders_are_named(text, problem):
    assert any(problem in p for p in placeholder_errors(text))
    with pytest.raises(TemplateError):
        compile_message(text, "", "", "")


def test_literal_braces_and_raw_html_are_safe():
    _s, _t, html = compile_message("s", "Use {{braces}} <script>alert(1)</script>", "", "").fill({})
    assert "{braces}" in html
    assert "<script>" not in html


def test_rewrite_links_wraps_only_absolute_links():
    html = '<a href="https://metu.kz/a?b=1&amp;c=2">x</a> <a href="/local">y</a>'
    out = rewrite_links(html, lambda url: f"https://t.test/?u={url}")
    assert 'href="https://t.test/?u=https://metu.kz/a?b=1&amp;c=2"' in out
    assert 'href="/local"' in out


def test_form_problems_raised_by_services_are_translatable():
    """The office reads these under its forms: they go through gettext, not English f-strings."""
    root = Path(__file__).resolve().parents[2]
    found = {
        message
        for name in ("campaigns/rendering.py", "campaigns/scheduling.py", "lms/units/tree.py")
        for _line, message, _comments, _context in extract_from_file("python", root / name)
    }
    assert {
        "unknown placeholder {%(name)s}",
        "unbalanced brace: a { or } has no pair",
        "not a cron rule with five fields: “%(rule)s”",
        "a send time is needed",
        "the code %(code)s is already used",
        "a unit cannot be placed under itself or one of its sub-units",
    } <= found
