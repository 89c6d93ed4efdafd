"""Sign-ins that end: one row a browser sign-in, which every request's person must still have.

Flask-Login keeps ``"{person}:{password fingerprint}:{sign-in}"`` (``User.get_id``) in the session
and in the remember-me cookie. A cookie alone proves nothing: the sign-in it names must still have
its ``UserSession`` row, so signing out ends this browser's sign-in on the server (a copied cookie
stops working too), "sign out everywhere" and deactivation end all of a person's.

A sign-in also ends by itself, after a while without a request and after an absolute lifetime
(:func:`limits_for`). The office (anyone with a role) is held to both whatever "remember me" says:
there it only survives closing the browser. A learner who asked to be remembered stays signed in
for ``ADAL_REMEMBER_DAYS`` with no idle limit.

Cost: the person, their roles and their sign-in are one statement a request. The time last seen
is written at most once a minute, by a GET, in a transaction of its own: a POST on SQLite holds
the write lock from its first statement (``lms.database``), and a POST is followed by a GET anyway.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, flash, request
from flask import session as browser_session
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user, user_loaded_from_cookie
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from lms.audit import trail
from lms.database import SAFE_METHODS, utcnow
from lms.extensions import db, login_manager
from lms.models import User, UserSession

#: How stale ``last_seen_at`` may get before a request writes it again.
TOUCH_EVERY = timedelta(minutes=1)
#: Flask-Login's keys in the session (``logout_user`` pops the same).
_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember_seconds")


def init_app(app: Flask) -> None:
    """Load the person of a live sign-in on every request; clear ended sign-ins away every hour."""
    from lms.scheduler import register_job

    login_manager.user_loader(load_user)
    user_loaded_from_cookie.connect(_bind_restored_session, app)
    register_job(app, "sessions.clear_ended", _clear_ended_job, seconds=3600)


@dataclass(frozen=True)
class Limits:
    """How long a sign-in may go without a request (``None``: no limit) and how long it may last."""

    idle: timedelta | None
    lifetime: timedelta


def limits_for(config, office: bool, remember: bool) -> Limits:
    """The limits of a sign-in by the office (anyone with a role) or a learner, remembered or not."""
    if remember and not office:
        return Limits(None, timedelta(days=config["ADAL_REMEMBER_DAYS"]))
    idle = config["ADAL_IDLE_MINUTES_OFFICE"] if office else config["ADAL_IDLE_MINUTES_LEARNER"]
    return Limits(timedelta(minutes=idle), timedelta(hours=config["ADAL_SESSION_MAX_HOURS"]))


def why_ended(limits: Limits, created_at: datetime, last_seen_at: datetime, now: datetime) -> str | None:
    """``"idle"`` or ``"lifetime"`` when a sign-in has ended by itself at ``now``, else ``None``."""
    if now - created_at > limits.lifetime:
        return "lifetime"
    if limits.idle is not None and now - last_seen_at > limits.idle:
        return "idle"
    return None


def sign_in(session: Session, user: User, remember: bool) -> UserSession:
    """Start a sign-in of ``user`` in this browser; the person's long-ended ones are cleared away."""
    now = utcnow()
    config = current_app.config
    longest = max(timedelta(days=config["ADAL_REMEMBER_DAYS"]), timedelta(hours=config["ADAL_SESSION_MAX_HOURS"]))
    session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.created_at < now - longest))
    row = UserSession(
        id=secrets.token_urlsafe(32), user_id=user.id, remember=remember, created_at=now, last_seen_at=now
    )
    session.add(row)
    user.session_key = row.id
    login_user(user, remember=remember)
    return row


def clear_ended(session: Session, now: datetime | None = None) -> int:
    """Delete the sign-ins that can no longer be used, so people who never come back leave no rows.

    Past the longest lifetime every sign-in has ended; one without "remember me" ends after
    ``ADAL_SESSION_MAX_HOURS`` or the longest idle time. A remembered office sign-in idle for longer
    waits for the first rule (which limits apply depends on roles, and it is refused meanwhile).
    """
    now = now or utcnow()
    config = current_app.config
    longest = max(timedelta(days=config["ADAL_REMEMBER_DAYS"]), timedelta(hours=config["ADAL_SESSION_MAX_HOURS"]))
    idle = timedelta(minutes=max(config["ADAL_IDLE_MINUTES_OFFICE"], config["ADAL_IDLE_MINUTES_LEARNER"]))
    plain = and_(
        UserSession.remember.is_(False),
        or_(
            UserSession.created_at < now - timedelta(hours=config["ADAL_SESSION_MAX_HOURS"]),
            UserSession.last_seen_at < now - idle,
        ),
    )
    return session.execute(delete(UserSession).where(or_(UserSession.created_at < now - longest, plain))).rowcount


def _clear_ended_job() -> None:
    cleared = clear_ended(db.session)
    db.session.commit()
    if cleared:
        current_app.logger.info("cleared %d ended sign-ins", cleared)


def sign_out(session: Session) -> None:
    """End this browser's sign-in, on the server too."""
    session.execute(delete(UserSession).where(UserSession.id == current_user.session_key))
    logout_user()


def end_all(session: Session, user: User, keep: str | None = None) -> int:
    """End every sign-in of ``user`` (but ``keep``); returns how many were ended."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        query = query.where(UserSession.id != keep)
    return session.execute(query).rowcount


def end_everywhere(session: Session, user: User, action: str) -> int:
    """End every sign-in of ``user`` and audit it as ``action`` with how many there were."""
    ended = end_all(session, user)
    trail.record(session, action, user, details={"count": ended})
    return ended


def load_user(session_id: str) -> User | None:
    """The person of a live sign-in, with their roles; else ``None``, and the browser forgets it."""
    user_id, _fingerprint, key = [*session_id.split(":"), "", ""][:3]
    row = None
    if user_id.isdigit() and key:
        query = (
            select(UserSession)
            .where(UserSession.id == key, UserSession.user_id == int(user_id))
            # The roles in the same statement: every page's menu asks for them.
            .options(joinedload(UserSession.user).joinedload(User.roles))
        )
        row = db.session.scalars(query).unique().first()
    user = row.user if row is not None else None
    if user is not None:
        user.session_key = key
    if user is None or not user.active or user.get_id() != session_id:
        _forget_browser()
        return None
    now = utcnow()
    limits = _limits(user, row.remember)
    reason = why_ended(limits, row.created_at, row.last_seen_at, now)
    if reason is not None:
        flash(_ended_message(reason, limits), "info")
        _forget_browser()
        return None
    if request.method in SAFE_METHODS and now - row.last_seen_at >= TOUCH_EVERY:
        with db.engine.begin() as connection:
            connection.execute(update(UserSession).where(UserSession.id == key).values(last_seen_at=now))
    return user


def _limits(user: User, remember: bool) -> Limits:
    return limits_for(current_app.config, bool(user.roles), remember)


def _ended_message(reason: str, limits: Limits) -> str:
    if reason == "idle":
        minutes = int(limits.idle.total_seconds() // 60)
        return ngettext(
            "Your session has ended after %(num)d minute without activity. Please sign in again.",
            "Your session has ended after %(num)d minutes without activity. Please sign in again.",
            minutes,
        )
    if limits.idle is None:
        return ngettext(
            "You were remembered for %(num)d day; that time is over. Please sign in again.",
            "You were remembered for %(num)d days; that time is over. Please sign in again.",
            limits.lifetime.days,
        )
    hours = int(limits.lifetime.total_seconds() // 3600)
    return ngettext(
        "Your session has ended: it lasts at most %(num)d hour. Please sign in again.",
        "Your session has ended: it lasts at most %(num)d hours. Please sign in again.",
        hours,
    )


def _forget_browser() -> None:
    """Drop the sign-in from this browser's session and delete its remember-me cookie."""
    for key in _LOGIN_KEYS:
        browser_session.pop(key, None)
    browser_session["_remember"] = "clear"


def _bind_restored_session(_app, user: User) -> None:
    """A session restored from the remember-me cookie gets the browser's identity, as a signed-in one has.

    Without it, "strong" session protection would find no identity on the next request and sign
    the remembered person out again after one page.
    """
    browser_session["_id"] = login_manager._session_identifier_generator()
