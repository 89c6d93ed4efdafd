"""Keys kept outside the database (``ADAL_TOTP_KEY``, ``ADAL_CASES_KEY``), turned into Fernet keys.

A setting may hold several keys separated by commas: the first encrypts, all decrypt, so a key is
rotated by putting the new one first, re-encrypting (e.g. ``flask concerns rotate-key``) and then
dropping the old one.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key of its own per use, from a secret of any length and characters."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def split_keys(setting: str) -> list[str]:
    """The keys of a comma-separated setting, newest first, blanks dropped."""
    return [key.strip() for key in setting.split(",") if key.strip()]


def multi_fernet(setting: str, purpose: str) -> MultiFernet:
    """Encrypts with the first key of ``setting``, decrypts with any of them."""
    keys = split_keys(setting)
    if not keys:
        raise ValueError("no key configured")
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derive_key(key, purpose))) for key in keys])
