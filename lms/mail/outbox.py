"""Writing e-mails into the outbox: rendered now, in the recipient's language, sent later."""

import uuid

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from lms.models import OutboxMessage, OutboxStatus, User

#: What each delivery state is called on pages and in exports.
STATUS_LABELS = {
    OutboxStatus.QUEUED: _l("queued"),
    OutboxStatus.SENDING: _l("sending"),
    OutboxStatus.SENT: _l("sent"),
    OutboxStatus.FAILED: _l("failed"),
    OutboxStatus.HELD: _l("held"),
}


def render_email(name: str, locale: str, **context) -> tuple[str, str, str]:
    """Render ``templates/emails/<name>.{subject,txt,html}`` in ``locale``.

    Returns (subject, text body, HTML body).
    """
    with force_locale(locale):
        subject = render_template(f"emails/{name}.subject.txt", **context).strip()
        text = render_template(f"emails/{name}.txt", **context)
        html = render_template(f"emails/{name}.html", **context)
    return " ".join(subject.split()), text, html


def new_message_id() -> str:
    domain = current_app.config["ADAL_MAIL_FROM"].rsplit("@", 1)[-1].strip(">") or "adal.local"
    return f"<{uuid.uuid4().hex}@{domain}>"


def enqueue_email(
    session: Session,
    user: User,
    name: str,
    dedup_key: str,
    category: str = "system",
    attachments: list[dict] | None = None,
    **context,
) -> OutboxMessage:
    """Queue the e-mail template ``name`` for ``user`` in their language.

    ``dedup_key`` is unique in the outbox: queueing the same reason twice fails, never sends twice.
    ``attachments`` are files sent along (``OutboxMessage.attachments``).
    """
    subject, text, html = render_email(name, user.locale, user=user, **context)
    message = OutboxMessage(
        dedup_key=dedup_key,
        message_id=new_message_id(),
        category=category,
        user_id=user.id,
        to_addr=user.email,
        subject=subject,
        body_text=text,
        body_html=html,
        headers={},
        attachments=attachments or None,
    )
    session.add(message)
    return message
