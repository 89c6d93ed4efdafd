"""Links for e-mails and calendar files: the configured base URL, in a request or in a job."""

from flask import current_app, has_request_context, url_for


def absolute_url(endpoint: str, **values) -> str:
    """``ADAL_BASE_URL`` + the endpoint's path, whether or not a request is being served."""
    base = current_app.config["ADAL_BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context():
        return base + url_for(endpoint, **values)
