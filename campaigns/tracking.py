"""Signed links in campaign e-mails: open pixel, click redirect, unsubscribe.

Each link carries what it is for, signed with the app's secret: a click link leads only to the
URL that was signed, so it can never be used as an open redirect.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigns.models import EmailPreference
from lms.database import utcnow
from lms.models import OutboxMessage


def _signer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"adal.campaign.{purpose}")


def _base() -> str:
    return current_app.config["ADAL_BASE_URL"]


def open_url(message_id: str) -> str:
    return f"{_base()}/t/o/{_signer('open').dumps(message_id)}.gif"


def click_url(message_id: str, target: str) -> str:
    return f"{_base()}/t/c/{_signer('click').dumps([message_id, target])}"


def unsubscribe_url(user_id: int, category: str, campaign_id: int | None) -> str:
    return f"{_base()}/unsubscribe/{_signer('unsubscribe').dumps([user_id, category, campaign_id])}"


class ForgedLink(Exception):
    """A tracking or unsubscribe link whose signature does not hold."""


def _load(purpose: str, token: str):
    try:
        return _signer(purpose).loads(token)
    except BadSignature as error:
        raise ForgedLink(purpose) from error


def record_open(session: Session, token: str) -> None:
    message_id = _load("open", token)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.message_id == message_id, OutboxMessage.opened_at.is_(None))
        .values(opened_at=utcnow())
    )


def record_click(session: Session, token: str) -> str:
    """Record the click and return the URL the link was signed for."""
    data = _load("click", token)
    if not (isinstance(data, list) and len(data) == 2 and str(data[1]).startswith(("http://", "https://"))):
        raise ForgedLink("click")
    message_id, target = data
    now = utcnow()
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.message_id == message_id, OutboxMessage.clicked_at.is_(None))
        .values(clicked_at=now)
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.message_id == message_id, OutboxMessage.opened_at.is_(None))
        .values(opened_at=now)  # a click proves an open even when images were blocked
    )
    return target


def read_unsubscribe(token: str) -> tuple[int, str, int | None]:
    data = _load("unsubscribe", token)
    if not (isinstance(data, list) and len(data) == 3):
        raise ForgedLink("unsubscribe")
    return int(data[0]), str(data[1]), data[2]


def unsubscribe(session: Session, user_id: int, category: str, campaign_id: int | None) -> None:
    """Stop ``category`` for this person; doing it twice changes nothing."""
    exists = session.scalar(
        select(EmailPreference.id).where(EmailPreference.user_id == user_id, EmailPreference.category == category)
    )
    if exists is None:
        session.add(EmailPreference(user_id=user_id, category=category, campaign_id=campaign_id))


def resubscribe(session: Session, user_id: int, category: str) -> None:
    pref = session.scalar(
        select(EmailPreference).where(EmailPreference.user_id == user_id, EmailPreference.category == category)
    )
    if pref is not None:
        session.delete(pref)
