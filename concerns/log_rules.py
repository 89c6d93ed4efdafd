"""Logging on the reporting channel: no address and no browser of whoever opens ``/report``.

The development server logs each request with the client's address; the filter below drops
those lines for ``/report`` paths. Production's access log is gunicorn's, which
``deploy/gunicorn.conf.py`` writes without them, and nginx's, off for ``/report``
(``deploy/nginx-adal.conf``).
"""

import logging

#: Paths whose requests are never logged with who asked.
UNLOGGED_PREFIX = "/report"


def is_reporting_path(path: str) -> bool:
    return path == UNLOGGED_PREFIX or path.startswith(UNLOGGED_PREFIX + "/") or path.startswith(UNLOGGED_PREFIX + "?")


class DropReportingRequests(logging.Filter):
    """Drops werkzeug's request lines (``"GET /report HTTP/1.1" 200``) for the reporting paths."""

    def filter(self, record: logging.LogRecord) -> bool:
        for arg in record.args or ():
            if isinstance(arg, str) and " " in arg:
                parts = arg.split(" ")
                if len(parts) >= 2 and is_reporting_path(parts[1]):
                    return False
        return True


def install() -> None:
    """Add the filter to werkzeug's logger once per process."""
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, DropReportingRequests) for f in logger.filters):
        logger.addFilter(DropReportingRequests())
