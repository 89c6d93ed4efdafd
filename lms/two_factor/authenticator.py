"""The second factor: an authenticator app's codes (TOTP) and one-time recovery codes.

Anyone with a role (officers, unit heads, authors, admins) must have one while
``ADAL_TWO_FACTOR_REQUIRED`` is on: ``lms.permissions.require_role``, which every office page
passes through, sends them to enrolment until they have. Learners may turn it on from their
profile. Whoever has one is asked for a code after the password, before they count as signed in.

Secrets are encrypted with ``ADAL_TOTP_KEY`` and recovery codes hashed with a key derived from it,
so a dump of the database alone neither yields codes nor lets guesses be tested.

A code is accepted once: its time step is stored, and the update that stores it only happens
when the step is later than the last one (one statement, so two requests racing with the same
code cannot both win). A recovery code is marked used the same way.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet
from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from lms.database import utcnow
from lms.keys import derive_key
from lms.models import RecoveryCode, TwoFactor, User

#: The name the authenticator app shows next to the person's address.
ISSUER = "Adal"
#: Codes of one step before and after now are accepted too: phones' clocks drift.
CLOCK_DRIFT_STEPS = 1
RECOVERY_CODES = 10
#: No letters or digits that read alike (0/o, 1/l/i).
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10  # about 50 bits


class CodeRefused(Exception):
    """A code that does not sign in; ``reason`` is ``"wrong"`` or ``"replayed"`` (its step was used)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def required_for(user: User) -> bool:
    """True when ``user`` must have a second factor: anyone with a role, while it is required."""
    return current_app.config["ADAL_TWO_FACTOR_REQUIRED"] and bool(user.roles)


def enrolled(session: Session, user: User) -> bool:
    """True when ``user`` has turned a second factor on (an enrolment under way does not count)."""
    query = select(TwoFactor.user_id).where(TwoFactor.user_id == user.id, TwoFactor.confirmed_at.is_not(None))
    return session.scalar(query) is not None


def enrolment_needed(session: Session, user: User) -> bool:
    """True when ``user`` must enrol before opening an office page."""
    return required_for(user) and not enrolled(session, user)


def pending_secret(session: Session, user: User) -> str:
    """The secret of the enrolment under way, started now if there is none; the same on every visit,
    so reloading the page never makes a phone that already scanned it wrong."""
    row = session.get(TwoFactor, user.id)
    if row is None:
        row = TwoFactor(user_id=user.id, secret=_fernet().encrypt(pyotp.random_base32().encode()).decode())
        session.add(row)
        session.flush()
    return _secret(row)


def qr_data_uri(user: User, secret: str) -> str:
    """The enrolment QR code as an inline SVG image (``data:``, allowed by the CSP's ``img-src``)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def confirm_enrolment(session: Session, user: User, code: str, now: datetime | None = None) -> list[str]:
    """Turn the second factor on with the first right code from the app; returns new recovery codes."""
    row = session.get(TwoFactor, user.id)
    if row is None or row.confirmed_at is not None:
        raise CodeRefused("wrong")
    now = now or utcnow()
    step = matching_step(_secret(row), code, now)
    if step is None:
        raise CodeRefused("wrong")
    row.confirmed_at = now
    row.last_step = step
    return new_recovery_codes(session, user)


def use_code(session: Session, user: User, typed: str, now: datetime | None = None) -> str:
    """Accept a code of the app (returns ``"code"``) or a recovery code (``"recovery"``) at sign-in.

    Raises :class:`CodeRefused` for a wrong code and for one already used.
    """
    now = now or utcnow()
    row = session.get(TwoFactor, user.id)
    if row is None or row.confirmed_at is None:
        raise CodeRefused("wrong")
    code = "".join(typed.split())
    if len(code) == 6 and code.isdigit():
        step = matching_step(_secret(row), code, now)
        if step is None:
            raise CodeRefused("wrong")
        accepted = session.execute(
            update(TwoFactor)
            .where(TwoFactor.user_id == user.id, or_(TwoFactor.last_step.is_(None), TwoFactor.last_step < step))
            .values(last_step=step)
        )
        if accepted.rowcount != 1:
            raise CodeRefused("replayed")
        return "code"
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    if used.rowcount != 1:
        raise CodeRefused("wrong")
    return "recovery"


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code ``code`` is, within the clock drift allowed around ``now``; else ``None``."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - CLOCK_DRIFT_STEPS, current + CLOCK_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace ``user``'s recovery codes with ten new ones, returned to be shown once (only hashes are kept)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)
    ]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)) for code in codes)
    session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(session: Session, user: User) -> int:
    """How many of ``user``'s recovery codes are still unused."""
    query = select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    return session.scalar(query)


def status(session: Session, user: User) -> TwoFactor | None:
    """``user``'s second factor, on or being enrolled; ``None`` when there is none."""
    return session.get(TwoFactor, user.id)


def reset(session: Session, user: User) -> bool:
    """Remove ``user``'s second factor and recovery codes (they enrol again); False when there was none."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    return session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id)).rowcount > 0


def _secret(row: TwoFactor) -> str:
    return _fernet().decrypt(row.secret.encode()).decode()


def _recovery_hash(code: str) -> str:
    normalized = code.replace("-", "").lower().encode()
    return hmac.new(_derived_key("recovery codes"), normalized, hashlib.sha256).hexdigest()


def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derived_key("totp secrets")))


def _derived_key(purpose: str) -> bytes:
    """A key of its own per use, from ``ADAL_TOTP_KEY`` (any length, any characters)."""
    return derive_key(current_app.config["ADAL_TOTP_KEY"], purpose)
