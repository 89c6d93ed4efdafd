"""The mailbox: every e-mail of the outbox as it was (or will be) sent, for the office to read.

With the local-mailbox transport (no ``ADAL_SMTP_URL``) this is where e-mails end up. A stored
HTML body is never put into the page: it is served on its own URL with a CSP that forbids
scripts, remote loads and forms, and shown in an ``<iframe sandbox>``.
"""

from flask import Blueprint, Flask, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import load_only

from lms.extensions import db
from lms.models import OutboxMessage, Role, User
from lms.outbox import STATUS_LABELS
from lms.permissions import people_in_scope, require_role, scope_paths
from lms.security import CSP

bp = Blueprint("mailbox", __name__, url_prefix="/office/mailbox")

PER_PAGE = 50
#: The message page embeds the HTML body from this site: its CSP allows frames from 'self'.
PAGE_CSP = CSP.replace("frame-src ", "frame-src 'self' ")
#: The stored HTML: no script, no remote load (a tracking pixel must not count the office's look),
#: no form, no navigation; inline styles only, as e-mail HTML uses them.
BODY_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox"
)
#: Account e-mails carry sign-in links (password reset, invitation): only admins read their bodies.
PRIVATE_CATEGORIES = {"system"}


def visible_messages(viewer: User):
    """The outbox rows ``viewer`` may read: all of them, or their units' people's for a scoped officer."""
    query = select(OutboxMessage)
    paths = scope_paths(viewer)
    if paths is not None:
        query = query.join(User, User.id == OutboxMessage.user_id).where(people_in_scope(paths))
    return query


def search_messages(viewer: User, text: str, status: str):
    """The mailbox list: newest first, filtered by address or subject and by status, bodies not loaded."""
    query = visible_messages(viewer).options(
        load_only(
            OutboxMessage.id,
            OutboxMessage.to_addr,
            OutboxMessage.subject,
            OutboxMessage.status,
            OutboxMessage.category,
            OutboxMessage.attempts,
            OutboxMessage.created_at,
            OutboxMessage.sent_at,
        )
    )
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        query = query.where(or_(OutboxMessage.to_addr.ilike(pattern), OutboxMessage.subject.ilike(pattern)))
    if status in STATUS_LABELS:
        query = query.where(OutboxMessage.status == status)
    return query.order_by(OutboxMessage.id.desc())


def body_visible(viewer: User, message: OutboxMessage) -> bool:
    """Account e-mails are private to admins and to their own recipient (a campaign test is one)."""
    return message.category not in PRIVATE_CATEGORIES or viewer.has_role(Role.ADMIN) or message.user_id == viewer.id


def _message_or_404(message_id: int) -> OutboxMessage:
    message = db.session.scalars(visible_messages(current_user).where(OutboxMessage.id == message_id)).first()
    if message is None:
        abort(404)
    return message


@bp.route("/")
@require_role(Role.OFFICER)
def index():
    """Every e-mail, searchable by address or subject, filterable by status."""
    text = request.args.get("q", "").strip()[:200]
    status = request.args.get("status", "")
    page = db.paginate(search_messages(current_user, text, status), per_page=PER_PAGE, error_out=False)
    return render_template("lms/mailbox.html", page=page, q=text, status=status, statuses=STATUS_LABELS)


@bp.route("/<int:message_id>")
@require_role(Role.OFFICER)
def message(message_id: int):
    """One e-mail: its headers, its text, and its HTML in a sandboxed frame."""
    message = _message_or_404(message_id)
    response = render_template(
        "lms/mailbox_message.html",
        message=message,
        show_body=body_visible(current_user, message),
        statuses=STATUS_LABELS,
    )
    return response, 200, {"Content-Security-Policy": PAGE_CSP}


@bp.route("/<int:message_id>/html")
@require_role(Role.OFFICER)
def message_html(message_id: int):
    """The stored HTML body alone, for the sandboxed frame of the message page."""
    message = _message_or_404(message_id)
    if not message.body_html or not body_visible(current_user, message):
        abort(404)
    headers = {
        "Content-Security-Policy": BODY_CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
    }
    return message.body_html, 200, headers


def init_app(app: Flask) -> None:
    from lms.navigation import add_nav_item

    app.register_blueprint(bp)
    add_nav_item(app, "mailbox.index", _l("Mailbox"), roles=(Role.OFFICER,), section="office")
