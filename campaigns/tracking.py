"""Signed links in campaign e-mails: open pixel, click redirect, unsubscribe.

Each link carries what it is for, signed with the app's secret: a click link leads only to the
URL that was signed, and its signature covers the message's own token too, so the destination
part of one message's link cannot be paired with another message to log a click that never
happened. A campaign of 20,000 people signs about 100,000 links, so the signature is a bare
HMAC-SHA256 (truncated to 128 bits) with a key derived once per purpose, not a general-purpose
serializer.
"""

import base64
import hashlib
import hmac
import json
from functools import lru_cache

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigns.models import EmailPreference
from lms.database import utcnow
from lms.models import OutboxMessage


@lru_cache(maxsize=16)
def _key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"adal.campaign.{purpose}:{secret}".encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Signer:
    def __init__(self, purpose: str, secret: str | None = None):
        self.key = _key(secret or current_app.config["SECRET_KEY"], purpose)

    def dumps(self, value, bound_to: str = "") -> str:
        """``value`` signed; with ``bound_to``, the signature holds only next to that same text."""
        payload = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        return f"{_b64(payload)}.{_b64(self._signature(payload, bound_to))}"

    def loads(self, token: str, bound_to: str = ""):
        try:
            encoded, signature = token.split(".")
            payload = _unb64(encoded)
            if not hmac.compare_digest(self._signature(payload, bound_to), _unb64(signature)):
                raise ForgedLink("signature")
            return json.loads(payload)
        except (ValueError, UnicodeDecodeError) as error:
            raise ForgedLink("malformed") from error

    def _signature(self, payload: bytes, bound_to: str) -> bytes:
        signed = f"{bound_to}\0".encode() + payload if bound_to else payload
        return hmac.digest(self.key, signed, "sha256")[:16]


def _signer(purpose: str) -> _Signer:
    return _Signer(purpose)


def _base() -> str:
    return current_app.config["ADAL_BASE_URL"]


def message_token(message_id: str) -> str:
    """Signed once per message; its open pixel and every tracked link carry it."""
    return _signer("message").dumps(message_id)


def open_url(token: str) -> str:
    return f"{_base()}/t/o/{token}.gif"


def click_url(token: str, target: str) -> str:
    """A link that records the click of message ``token`` and leads only to ``target``."""
    return f"{_base()}/t/c/{token}/{_signer('click').dumps(target, bound_to=token)}"


def unsubscribe_url(user_id: int, category: str, campaign_id: int | None) -> str:
    return f"{_base()}/unsubscribe/{_signer('unsubscribe').dumps([user_id, category, campaign_id])}"


class ForgedLink(Exception):
    """A tracking or unsubscribe link whose signature does not hold."""


def _load(purpose: str, token: str):
    return _signer(purpose).loads(token)


def record_open(session: Session, token: str) -> None:
    message_id = _load("message", token)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.message_id == message_id, OutboxMessage.opened_at.is_(None))
        .values(opened_at=utcnow())
    )


def record_click(session: Session, token: str, url_token: str) -> str:
    """Record the click and return the URL the link was signed for."""
    message_id = _load("message", token)
    try:
        target = _signer("click").loads(url_token, bound_to=token)
    except ForgedLink:
        target = _legacy_target(session, message_id, token, url_token)
    if not (isinstance(target, str) and target.startswith(("http://", "https://"))):
        raise ForgedLink("click")
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


def _legacy_target(session: Session, message_id: str, token: str, url_token: str):
    """A link sent before clicks were bound to their message (its URL part signed alone).

    It counts only when this very link, message part and URL part together, is in the message
    as it was stored, so a URL part of one message still cannot be paired with another.
    """
    target = _load("url", url_token)
    body = session.scalar(select(OutboxMessage.body_html).where(OutboxMessage.message_id == message_id))
    if not body or f"/t/c/{token}/{url_token}" not in body:
        raise ForgedLink("click")
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
