"""The concerns' audit events in words: identity requests and decisions, retention. Never a case's contents."""

from flask import Flask
from flask_babel import lazy_gettext as _l

from lms.audit.trail import add_action_group, add_sentence


def init_app(app: Flask) -> None:
    add_action_group(app, "concerns", _l("Reported concerns"))
    for action, template in (
        ("concerns.identity_request", _l("%(actor)s asked to see who reported a case")),
        ("concerns.identity_approved", _l("%(actor)s approved showing a reporter's identity to a case handler")),
        ("concerns.identity_refused", _l("%(actor)s refused showing a reporter's identity to a case handler")),
        ("concerns.identity_shown", _l("%(actor)s saw a reporter's identity")),
        ("concerns.retention", _l("Retention deleted %(cases)s closed cases (their statistics are kept)")),
        ("concerns.rotate_key", _l("%(actor)s re-encrypted the cases with a new key")),
    ):
        add_sentence(app, action, template, "concerns")
