"""Turning a step's Markdown with placeholders into each recipient's subject, text and HTML.

The Markdown is rendered once per language with placeholders kept as inert tokens; each
recipient's values are then put in (escaped for HTML), so 20,000 recipients cost 20,000 string
replacements, not 20,000 Markdown renders.
"""

import html
import re
import string
from dataclasses import dataclass

import nh3
from flask_babel import gettext as _
from markdown_it import MarkdownIt

PLACEHOLDERS = ("name", "course", "due_date", "days_left", "link", "unsubscribe_link")

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    "table"
)  # raw HTML shown as text, as in lessons
_PLACEHOLDER_MARK = "ADALPH{}X"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class TemplateError(ValueError):
    """A subject or body with an unknown placeholder or an unbalanced brace."""


def placeholder_errors(text: str) -> list[str]:
    """What is wrong with the placeholders of ``text`` (empty when all is well)."""
    try:
        fields = [f for _lit, f, _spec, _conv in string.Formatter().parse(text or "") if f is not None]
    except ValueError:
        return [_("unbalanced brace: a { or } has no pair")]
    return [_("unknown placeholder {%(name)s}", name=f) for f in fields if f not in PLACEHOLDERS]


def _tokenize(text: str) -> str:
    errors = placeholder_errors(text)
    if errors:
        raise TemplateError("; ".join(errors))
    return (text or "").format(**{p: _PLACEHOLDER_MARK.format(p.upper().replace("_", "")) for p in PLACEHOLDERS})


def _markdown_to_safe_html(markdown: str) -> str:
    return nh3.clean(_md.render(markdown), link_rel="noopener noreferrer")


@dataclass(frozen=True)
class CompiledMessage:
    """A step in one language, rendered once; ``fill`` makes one recipient's message."""

    subject: str
    text: str
    html: str

    def fill(self, values: dict) -> tuple[str, str, str]:
        """(subject, text, HTML) with ``values`` put in; subjects never carry line breaks."""
        subject, text, body = self.subject, self.text, self.html
        for name in PLACEHOLDERS:
            token = _PLACEHOLDER_MARK.format(name.upper().replace("_", ""))
            value = str(values.get(name, ""))
            subject = subject.replace(token, _CONTROL.sub(" ", value))
            text = text.replace(token, value)
            body = body.replace(token, html.escape(value, quote=True))
        return " ".join(subject.split()), text, body


def compile_message(subject: str, body_markdown: str, footer_text: str, footer_html: str) -> CompiledMessage:
    """Render a subject and Markdown body once; raises ``TemplateError`` on bad placeholders."""
    text_body = _tokenize(body_markdown)
    return CompiledMessage(
        subject=_tokenize(subject),
        text=f"{text_body.rstrip()}\n\n{footer_text}",
        html=f"<!doctype html><html><body>{_markdown_to_safe_html(text_body)}<hr>{footer_html}</body></html>",
    )


_HREF = re.compile(r'href="(https?://[^"]+)"')


def rewrite_links(body_html: str, tracked_url) -> str:
    """Point every absolute link of ``body_html`` through ``tracked_url(original)``."""
    return _HREF.sub(lambda m: f'href="{html.escape(tracked_url(html.unescape(m.group(1))), quote=True)}"', body_html)
