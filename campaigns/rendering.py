"""Turning a step's Markdown with placeholders into each recipient's subject, text and HTML.

The Markdown is rendered once per language with placeholders kept as inert tokens; each
recipient's values are then put in (escaped for HTML), so 20,000 recipients cost 20,000 string
replacements, not 20,000 Markdown renders. Escaping keeps a value from opening a tag, but not
from choosing where a link leads: with ``[click]({name})``, a name such as
``javascript:alert(1)//`` would become a live ``href``. So when a value goes inside a tag (a link
address, an image source, a title) and is not a plain web address, that recipient's body is
sanitized again once the values are in.
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
#: A value that may go into a tag as it is (as may an empty one): whatever surrounds it there,
#: it cannot make the address's scheme ``javascript:`` or ``data:``.
_WEB_ADDRESS = ("http://", "https://")


class TemplateError(ValueError):
    """A subject or body with an unknown placeholder or an unbalanced brace."""


def placeholder_errors(text: str) -> list[str]:
    """What is wrong with the placeholders of ``text`` (empty when all is well)."""
    try:
        fields = [f for _lit, f, _spec, _conv in string.Formatter().parse(text or "") if f is not None]
    except ValueError:
        return [_("unbalanced brace: a { or } has no pair")]
    return [_("unknown placeholder {%(name)s}", name=f) for f in fields if f not in PLACEHOLDERS]


def _token(name: str) -> str:
    return _PLACEHOLDER_MARK.format(name.upper().replace("_", ""))


def _tokenize(text: str) -> str:
    errors = placeholder_errors(text)
    if errors:
        raise TemplateError("; ".join(errors))
    return (text or "").format(**{p: _token(p) for p in PLACEHOLDERS})


def _in_attributes(body_html: str) -> frozenset[str]:
    """The placeholders inside a tag's attribute in ``body_html``.

    The sanitizer writes every attribute value in double quotes and a quote inside one as
    ``&quot;``, so none is missed (a ``="`` in plain text may add one, harmlessly).
    """
    return frozenset(p for p in PLACEHOLDERS if re.search(f'="[^"]*{_token(p)}', body_html))


def _markdown_to_safe_html(markdown: str) -> str:
    return nh3.clean(_md.render(markdown), link_rel="noopener noreferrer")


@dataclass(frozen=True)
class CompiledMessage:
    """A step in one language, rendered once; ``fill`` makes one recipient's message."""

    subject: str
    text: str
    #: The body's sanitized HTML, without the office's footer.
    body: str
    footer_html: str
    #: Placeholders inside a tag: a value there, unless empty or a web address, has the body sanitized again.
    in_attributes: frozenset[str]

    def fill(self, values: dict) -> tuple[str, str, str]:
        """(subject, text, HTML) with ``values`` put in; subjects never carry line breaks."""
        subject, text, body = self.subject, self.text, self.body
        for name in PLACEHOLDERS:
            token = _token(name)
            value = str(values.get(name, ""))
            subject = subject.replace(token, _CONTROL.sub(" ", value))
            text = text.replace(token, value)
            body = body.replace(token, html.escape(value, quote=True))
        in_tags = (str(values.get(name, "")) for name in self.in_attributes)
        if any(value and not value.startswith(_WEB_ADDRESS) for value in in_tags):
            body = nh3.clean(body, link_rel="noopener noreferrer")
        page = f"<!doctype html><html><body>{body}<hr>{self.footer_html}</body></html>"
        return " ".join(subject.split()), text, page


def compile_message(subject: str, body_markdown: str, footer_text: str, footer_html: str) -> CompiledMessage:
    """Render a subject and Markdown body once; raises ``TemplateError`` on bad placeholders."""
    text_body = _tokenize(body_markdown)
    body = _markdown_to_safe_html(text_body)
    return CompiledMessage(
        subject=_tokenize(subject),
        text=f"{text_body.rstrip()}\n\n{footer_text}",
        body=body,
        footer_html=footer_html,
        in_attributes=_in_attributes(body),
    )


_HREF = re.compile(r'href="(https?://[^"]+)"')


def rewrite_links(body_html: str, tracked_url) -> str:
    """Point every absolute link of ``body_html`` through ``tracked_url(original)``."""
    return _HREF.sub(lambda m: f'href="{html.escape(tracked_url(html.unescape(m.group(1))), quote=True)}"', body_html)
