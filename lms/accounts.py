"""Accounts: checking passwords, signed single-use links to set a password."""

import threading
import uuid
from collections.abc import Iterable
from types import SimpleNamespace

from flask import current_app, url_for
from flask_babel import get_locale
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import escape
from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session, lazyload
from werkzeug.security import check_password_hash, generate_password_hash

from lms.config import DEFAULT_LOCALE, LOCALES
from lms.database import utcnow
from lms.mail.outbox import enqueue_email, new_message_id, render_email
from lms.models import OutboxMessage, OutboxStatus, User, password_fingerprint

#: One password hash at a time in a process: scrypt takes 32 MB and a core for ~60 ms, and the load
#: benchmark's sign-ins on four threads at once took a gunicorn worker's peak from 150 MB to 280 MB.
#: The hash releases the GIL, so the worker's other threads go on serving pages meanwhile.
_HASHING = threading.Lock()


def find_user_by_email(session: Session, email: str, *options) -> User | None:
    return session.scalar(select(User).where(User.email == (email or "").strip().lower()).options(*options))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active person with this e-mail and password, or ``None``.

    A wrong e-mail still costs one hash check, so timing does not tell which part was wrong.
    """
    user = find_user_by_email(session, email)
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    with _HASHING:
        ok = check_password_hash(stored, password or "")
    if user is None or not user.password_hash or not ok or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def set_password(user: User, password: str) -> None:
    with _HASHING:
        user.password_hash = generate_password_hash(password)


_DUMMY_HASH = generate_password_hash("not-a-real-password")


#: What a set-password link is for, by the endpoint it opens; each signs with its own salt, so a
#: reset link (valid hours) cannot be replayed as an invitation (valid weeks).
PURPOSES = {"lms.reset_password": "reset", "lms.accept_invitation": "invitation"}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"adal.set-password.{purpose}")


def _fingerprint(user: User) -> str:
    """Changes whenever the password does, so a used link stops working."""
    return password_fingerprint(user.password_hash)


def make_password_token(user: User, purpose: str = "reset") -> str:
    return _serializer(purpose).dumps({"uid": user.id, "fp": _fingerprint(user)})


class TokenError(Exception):
    """A set-password link that cannot be used; ``reason`` says why, for the page."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def user_from_password_token(session: Session, token: str, max_age: int, purpose: str = "reset") -> User:
    """The person a set-password link is for; raises ``TokenError`` (expired, used, invalid)."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenError("expired") from exc
    except BadSignature as exc:
        raise TokenError("invalid") from exc
    user = session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active:
        raise TokenError("invalid")
    if data.get("fp") != _fingerprint(user):
        raise TokenError("used")
    return user


def password_link(user: User, endpoint: str = "lms.reset_password") -> str:
    """The absolute link that lets ``user`` set a password (for e-mails)."""
    base = current_app.config["ADAL_BASE_URL"]
    return base + url_for(endpoint, token=make_password_token(user, PURPOSES[endpoint]))


def request_password_reset(session: Session, email: str) -> User | None:
    """Queue a reset e-mail if ``email`` is an active person's; returns that person, else ``None``.

    An unknown address costs the same: the same e-mail, with a signed link, is written for a
    stand-in and thrown away, and the person's roles are not loaded, so the time of the answer
    does not tell which addresses have an account. (The form is rate-limited, so this cannot
    flood an inbox.)
    """
    user = find_user_by_email(session, email, lazyload(User.roles))
    known = user is not None and user.active
    person = user if known else User(id=0, email=email, full_name="", locale=str(get_locale()))
    link = password_link(person)
    message = enqueue_email(session, person, "reset_password", f"reset:{person.id}:{uuid.uuid4().hex}", link=link)
    if not known:
        session.expunge(message)
    return user if known else None


def send_invitation(session: Session, user: User) -> None:
    """Queue the welcome e-mail with a set-password link for a newly imported person."""
    send_invitations(session, [user])


#: Stand-ins the invitation is rendered with once per language; each person's own values replace them.
_NAME, _EMAIL, _LINK = "ADALxNAMEx7f3a", "adalxemailx7f3a@example.invalid", "ADALxLINKx7f3a"


def send_invitations(session: Session, people: Iterable) -> None:
    """Queue the welcome e-mail with a set-password link for each person (the only way invitations are written).

    ``people``: users, or anything with their ``id``, ``full_name``, ``email``, ``locale`` and ``password_hash``.
    Rendering the templates costs about 4.6 ms an e-mail (90 s for a 20,000-person import), so they are
    rendered once per language with stand-ins, then each person's name, e-mail and own link are filled in
    (HTML-escaped in the HTML body).
    """
    rendered = {}
    endpoint = "lms.accept_invitation"
    link_base = current_app.config["ADAL_BASE_URL"] + url_for(endpoint, token=_LINK)
    rows = []
    for person in people:
        locale = person.locale if person.locale in LOCALES else DEFAULT_LOCALE
        if locale not in rendered:
            stand_in = SimpleNamespace(full_name=_NAME, email=_EMAIL, locale=locale)
            rendered[locale] = render_email("invitation", locale, user=stand_in, link=_LINK)
        subject, text, html = rendered[locale]
        link = link_base.replace(_LINK, make_password_token(person, PURPOSES[endpoint]))
        name, email = person.full_name, person.email
        rows.append(
            {
                "dedup_key": f"invite:{person.id}",
                "message_id": new_message_id(),
                "category": "system",
                "user_id": person.id,
                "to_addr": email,
                "subject": _fill(subject, name, email, link),
                "body_text": _fill(text, name, email, link),
                "body_html": _fill(html, str(escape(name)), str(escape(email)), str(escape(link))),
                "headers": {},
            }
        )
    for start in range(0, len(rows), 1000):
        session.execute(insert(OutboxMessage), rows[start : start + 1000])


def _fill(template: str, name: str, email: str, link: str) -> str:
    return template.replace(_LINK, link).replace(_NAME, name).replace(_EMAIL, email)


#: Account e-mails that carry a set-password link, by the prefix of their outbox key.
LINK_EMAILS = {"invite": ("invitation", "lms.accept_invitation"), "reset": ("reset_password", "lms.reset_password")}


def rewrite_failed_link_emails(session: Session, ids) -> int:
    """Write failed invitation and reset e-mails again, with a fresh link, before they are resent.

    The link in the stored e-mail may have expired since (an invitation lasts 14 days, a reset
    2 hours), and the office may have corrected the address that failed. Same row, same
    Message-ID (the first never arrived). ``ids``: a list or a select of outbox ids.
    """
    messages = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == OutboxStatus.FAILED,
            OutboxMessage.user_id.is_not(None),
            or_(*(OutboxMessage.dedup_key.startswith(f"{prefix}:") for prefix in LINK_EMAILS)),
        )
    ).all()
    for message in messages:
        template, endpoint = LINK_EMAILS[message.dedup_key.split(":", 1)[0]]
        user = session.get(User, message.user_id)
        message.subject, message.body_text, message.body_html = render_email(
            template, user.locale, user=user, link=password_link(user, endpoint)
        )
    session.flush()
    return len(messages)
