"""WeasyPrint, fetching only the app's own static files and fonts; imported by ``lms.pdf`` on first use.

A document template may be restyled by the office, so it is not trusted to reach anything else:
an outside URL or ``file:///etc/passwd`` is refused by the fetcher, and WeasyPrint renders the
page without it. One ``FontConfiguration`` is kept per process, because loading the fonts is the
slow part of a first render.
"""

import mimetypes
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from lms.static_paths import FONT_DIRS, STATIC


class StaticOnlyFetcher(URLFetcher):
    """Serve ``file:`` URLs inside ``static/`` or a font folder, and ``data:`` URLs; refuse the rest."""

    def __init__(self, roots=(STATIC, *FONT_DIRS)):
        super().__init__(allowed_protocols=("file", "data"), fail_on_errors=False)
        self.roots = tuple(Path(root).resolve() for root in roots)

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise ValueError("only the app's static files may be fetched")
        path = Path(unquote(urlsplit(url).path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            raise ValueError("only the app's static files may be fetched")
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), headers={"Content-Type": mime_type})


@lru_cache(maxsize=1)
def font_configuration() -> FontConfiguration:
    """The process's one font configuration, kept warm between renders."""
    return FontConfiguration()


@lru_cache(maxsize=1)
def _fetcher() -> StaticOnlyFetcher:
    return StaticOnlyFetcher()


def render(html: str, base_url: str) -> bytes:
    document = HTML(string=html, base_url=base_url, url_fetcher=_fetcher())
    return document.write_pdf(font_config=font_configuration())
