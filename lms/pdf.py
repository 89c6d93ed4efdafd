"""PDF rendering behind one function; WeasyPrint itself (``lms.pdf_engine``) loads on the first render.

WeasyPrint and its Pango bindings are 35 MB of every process's memory and 0.8 s of its start
(``python -X importtime``): a web worker that never renders a PDF never pays for them, and a
worker recycled by gunicorn's ``max_requests`` starts again in half the time.
"""

from lms.static_paths import STATIC


def static_base_url() -> str:
    """The base URL that makes ``css/x.css`` in a template mean ``static/css/x.css``."""
    return STATIC.as_uri() + "/"


def render_pdf(html: str, base_url: str | None = None) -> bytes:
    """Render ``html`` to PDF bytes; relative URLs resolve against ``base_url`` (default: static/)."""
    from lms import pdf_engine

    return pdf_engine.render(html, base_url or static_base_url())
