"""The code people type to verify a certificate: ``ADAL-7K3M-Q9XF-2P``.

Ten characters of Crockford's base32 (no I, L, O or U, so nothing reads as another), 50 random
bits: with /verify rate-limited, guessing one of even a million codes takes longer than anyone
has. Typed codes are read generously: any case, with or without dashes, spaces or the ``ADAL``
prefix, O read as 0 and I or L as 1. Certificates issued before keep their 22-character code
(``new_code``, still every row's internal code); ``shown_code`` is the one a certificate prints.
"""

import re
import secrets

from courses.models import Certificate

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "ADAL"
LENGTH = 10
GROUPS = (4, 4, 2)
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.]+")


def new_code() -> str:
    """The row's internal 128-bit code (shown only on certificates issued before the short code)."""
    return secrets.token_urlsafe(16)


def shown_code(cert: Certificate) -> str:
    """The code printed on ``cert`` and typed to verify it: the short one, or an older one's long one."""
    return cert.short_code or cert.code


def new_short_code() -> str:
    """A fresh code in its printed form."""
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def normalize_short_code(typed: str) -> str | None:
    """The printed form of a typed code, or ``None`` when it cannot be a short code."""
    compact = _SEPARATORS.sub("", (typed or "").upper())
    if len(compact) == len(PREFIX) + LENGTH and compact.startswith(PREFIX):
        compact = compact[len(PREFIX) :]
    compact = compact.translate(_LOOKALIKES)
    if len(compact) != LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return _grouped(compact)


def _grouped(chars: str) -> str:
    parts, start = [PREFIX], 0
    for size in GROUPS:
        parts.append(chars[start : start + size])
        start += size
    return "-".join(parts)
