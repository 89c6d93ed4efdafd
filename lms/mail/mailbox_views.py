"""The mailbox: every e-mail of the outbox as it was (or will be) sent, for the office to read.

With the local-mailbox transport (no ``ADAL_SMTP_URL``) this is where e-mails end up. A stored
HTML body is never put into the page: it is served on its own URL with a CSP that forbids
scripts, remote loads and forms, and shown in an ``<iframe sandbox>``.
"""

from flask import Blueprint, Flask, abort, flash, has_request_context, redirect, render_template, request, url_for
from flask_babel import format_time, ngettext, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, load_only

from lms import accounts
from lms.audit import trail
from lms.audit.trail import Piece
from lms.database import utcnow
from lms.extensions import db
from lms.i18n import local_datetime
from lms.mail.outbox import STATUS_LABELS
from lms.mail.server_status import current_outage
from lms.models import OutboxMessage, OutboxStatus, Role, User
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


def _filtered(query, text: str, status: str):
    """``query`` narrowed to the mailbox filter: address or subject containing ``text``, and ``status``."""
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        query = query.where(or_(OutboxMessage.to_addr.ilike(pattern), OutboxMessage.subject.ilike(pattern)))
    if status in STATUS_LABELS:
        query = query.where(OutboxMessage.status == status)
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
    return _filtered(query, text, status).order_by(OutboxMessage.id.desc())


def body_visible(viewer: User, message: OutboxMessage) -> bool:
    """Account e-mails are private to admins and to their own recipient (a campaign test is one)."""
    return message.category not in PRIVATE_CATEGORIES or viewer.has_role(Role.ADMIN) or message.user_id == viewer.id


def resendable(viewer: User, text: str = "", status: str = ""):
    """The ids of the failed messages ``viewer`` may send again, among those the mailbox filter shows.

    The mailbox's scope holds (a unit head: their units' people only), and account e-mails stay
    with admins, as their bodies do (``body_visible``).
    """
    query = _filtered(visible_messages(viewer), text, status).where(OutboxMessage.status == OutboxStatus.FAILED)
    if not viewer.has_role(Role.ADMIN):
        query = query.where(or_(OutboxMessage.category.not_in(PRIVATE_CATEGORIES), OutboxMessage.user_id == viewer.id))
    return query.with_only_columns(OutboxMessage.id)


def queue_again(session: Session, ids) -> int:
    """Give failed messages a fresh start: queued now, no attempts, no error. Same row, same Message-ID.

    A message to a person goes to their address as it is now (the office corrects a wrong one,
    then resends), and an invitation or reset gets a fresh link (``accounts``). ``ids`` is a list
    or a select of ids; rows that are no longer failed are left alone.
    """
    accounts.rewrite_failed_link_emails(session, ids)
    current_address = select(User.email).where(User.id == OutboxMessage.user_id).scalar_subquery()
    return (
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.FAILED)
            .values(
                status=OutboxStatus.QUEUED,
                attempts=0,
                next_attempt_at=utcnow(),
                last_error=None,
                to_addr=func.coalesce(current_address, OutboxMessage.to_addr),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        or 0
    )


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


@bp.route("/<int:message_id>/resend", methods=["POST"])
@require_role(Role.OFFICER)
def resend(message_id: int):
    """Send one failed e-mail again (after the office fixed the address, say)."""
    message = _message_or_404(message_id)
    if message.status != OutboxStatus.FAILED:
        flash(_("Only an e-mail that failed can be sent again."), "warning")
    elif not body_visible(current_user, message):
        abort(403)
    else:
        queue_again(db.session, [message.id])
        trail.record(db.session, "mailbox.resend", message, details={"to": message.to_addr})
        db.session.commit()
        flash(_("The e-mail is queued again; it goes out within a minute."), "success")
    return redirect(url_for("mailbox.message", message_id=message_id))


@bp.route("/resend", methods=["POST"])
@require_role(Role.OFFICER)
def resend_filtered():
    """Send again every failed e-mail the current filter shows (that this person may resend)."""
    text = request.form.get("q", "").strip()[:200]
    status = request.form.get("status", "")
    count = queue_again(db.session, resendable(current_user, text, status).scalar_subquery())
    if count:
        trail.record(db.session, "mailbox.resend_failed", details={"messages": count, "filter": text})
    db.session.commit()
    flash(
        ngettext("%(num)d failed e-mail is queued again.", "%(num)d failed e-mails are queued again.", count), "success"
    )
    return redirect(url_for("mailbox.index", q=text or None, status=status or None))


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


def mail_outage_banner() -> dict:
    """The office's pages say when the mail server is unreachable and how many e-mails wait for it.

    One query on an office page while the server answers; a count (in the reader's scope) while
    it does not.
    """
    if not has_request_context() or not current_user.is_authenticated or not current_user.has_role(Role.OFFICER):
        return {}
    paths = scope_paths(current_user)
    outage = current_outage(db.session, people_in_scope(paths) if paths is not None else None)
    if outage is None:
        return {}
    since = to_user_timezone(outage.since)
    today = to_user_timezone(utcnow()).date() == since.date()
    when = format_time(outage.since, "short") if today else local_datetime(outage.since)
    return {"mail_outage": {"since": when, "waiting": outage.waiting, "reason": outage.reason}}


def load_messages(session: Session, ids: list[str], locale: str) -> dict[str, dict[str, Piece]]:
    """Outbox messages by id, for the audit log: their subject linking to the mailbox (one query)."""
    wanted = [int(i) for i in ids if str(i).isdigit()]
    rows = session.execute(select(OutboxMessage.id, OutboxMessage.subject).where(OutboxMessage.id.in_(wanted)))
    return {str(r.id): {"target": Piece(r.subject, url_for("mailbox.message", message_id=r.id))} for r in rows}


def init_app(app: Flask) -> None:
    from lms.navigation import add_nav_item

    app.register_blueprint(bp)
    add_nav_item(app, "mailbox.index", _l("Mailbox"), roles=(Role.OFFICER,), section="office")
    app.context_processor(mail_outage_banner)
    trail.add_target(app, "outbox_message", load_messages)
    trail.add_action_group(app, "mail", _l("E-mail"))
    trail.add_sentence(app, "mailbox.resend", _l("%(actor)s sent the failed e-mail %(target)s to %(to)s again"), "mail")
    trail.add_sentence(
        app, "mailbox.resend_failed", _l("%(actor)s queued again %(messages)s failed e-mails from the mailbox"), "mail"
    )
