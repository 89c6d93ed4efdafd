"""Lesson and document Markdown to safe HTML: tables, images, attachments and embedded video."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import nh3
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_YOUTUBE = re.compile(
    r"https?://(?:www\.|m\.)?(?:youtube\.com/watch\?(?:[^\s#]*&)?v=|youtu\.be/|youtube\.com/embed/)"
    r"([A-Za-z0-9_-]{11})\S*"
)
_VIMEO = re.compile(r"https?://(?:www\.)?vimeo\.com/(\d+)\S*")
_VIDEO_LINE = re.compile(r"^[ \t]*<?(https?://\S+?)>?[ \t]*$", re.M)
_MARKER = re.compile(r"<p>ADALVIDEO:(youtube|vimeo):([A-Za-z0-9_-]+)</p>")
_EMBED = {
    "youtube": "https://www.youtube-nocookie.com/embed/{}",
    "vimeo": "https://player.vimeo.com/video/{}",
}
_EXTRA_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "figure", "figcaption"}


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def course_files_dir(storage_path: str, course_id: int) -> Path:
    """Where a course version's attachments and images live (``files/…`` in its Markdown)."""
    return Path(storage_path) / "course-files" / str(course_id)


def _video_marker(match: re.Match) -> str:
    url = match[1]
    if found := _YOUTUBE.fullmatch(url):
        return f"ADALVIDEO:youtube:{found[1]}"
    if found := _VIMEO.fullmatch(url):
        return f"ADALVIDEO:vimeo:{found[1]}"
    return match[0]


def _embed(match: re.Match) -> str:
    src = _EMBED[match[1]].format(match[2])
    return (
        f'<div class="ratio ratio-16x9 my-3 video-embed"><iframe src="{escape(src)}" title="{escape(_("Video"))}" '
        'allow="encrypted-media; picture-in-picture; fullscreen" loading="lazy" '
        'referrerpolicy="strict-origin-when-cross-origin"></iframe></div>'
    )


def _resolve_files(tokens, file_url: Callable[[str], str]) -> None:
    """Point ``files/…`` images and links at the files endpoint."""
    for token in tokens:
        if token.children:
            _resolve_files(token.children, file_url)
        for attr in ("src", "href"):
            value = token.attrGet(attr)
            if isinstance(value, str) and value.startswith(("files/", "./files/")) and ".." not in value:
                token.attrSet(attr, file_url(value.split("files/", 1)[1]))


def _demote_headings(tokens) -> None:
    """The page's title is its only h1: a text that uses ``#`` has every heading moved one rank down."""
    headings = [t for t in tokens if t.type in ("heading_open", "heading_close")]
    if any(t.tag == "h1" for t in headings):
        for token in headings:
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"


def render_markdown(text: str | None, file_url: Callable[[str], str] | None = None) -> Markup:
    """Markdown to HTML that is safe to show: raw HTML is dropped, then nh3 cleans the result.

    A line holding only a YouTube or Vimeo link becomes an embedded player (youtube-nocookie).
    """
    if not text:
        return Markup("")
    parser = _parser()
    env: dict = {}
    tokens = parser.parse(_VIDEO_LINE.sub(_video_marker, text), env)
    _demote_headings(tokens)
    if file_url is not None:
        _resolve_files(tokens, file_url)
    html = parser.renderer.render(tokens, parser.options, env)
    clean = nh3.clean(html, tags=nh3.ALLOWED_TAGS | _EXTRA_TAGS, link_rel="noopener noreferrer")
    clean = clean.replace("<table>", '<div class="table-responsive"><table class="table table-sm">')
    # Safe: nh3 cleaned the HTML; the replacements only add our own markup around it.
    return Markup(_MARKER.sub(_embed, clean.replace("</table>", "</table></div>")))  # noqa: S704
