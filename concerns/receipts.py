"""Case numbers and receipt codes: how a reporter with no account comes back to their case.

The code is shown once and kept only as a slow hash (scrypt, as passwords are). Finding a case
costs one hash whether or not the number exists, so neither the answer nor its time tells a
stranger which case numbers are real.
"""

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from concerns.models import Case

#: No letters or digits that read alike (0/O, 1/I/L).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
NUMBER_LENGTH = 8  # about 40 bits: numbers cannot be guessed, so they say nothing of how many cases exist
RECEIPT_LENGTH = 16  # about 80 bits
HASH_METHOD = "scrypt"


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _grouped(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize(typed: str) -> str:
    """What the reporter typed, as hashed: upper case, without spaces or dashes."""
    return "".join(typed.split()).replace("-", "").upper()


def new_case_number(session: Session) -> str:
    """A case number no case has yet, e.g. ``K7QF-2M9D``."""
    while True:
        number = _grouped(_random(NUMBER_LENGTH))
        if session.scalar(select(Case.id).where(Case.number == number)) is None:
            return number


def new_receipt() -> tuple[str, str]:
    """A receipt code to show once, and the hash to keep."""
    code = _random(RECEIPT_LENGTH)
    return _grouped(code), generate_password_hash(code, method=HASH_METHOD)


#: A hash of nothing anyone holds: checked when the number is unknown, so both answers take as long.
_DUMMY_HASH = generate_password_hash(_random(RECEIPT_LENGTH), method=HASH_METHOD)


def find_case(session: Session, number: str, code: str) -> Case | None:
    """The case when ``number`` and ``code`` match; ``None`` alike for a wrong code and an unknown number."""
    wanted = _grouped(normalize(number))
    case = session.scalar(select(Case).where(Case.number == wanted))
    matches = check_password_hash(case.receipt_hash if case else _DUMMY_HASH, normalize(code))
    return case if case is not None and matches else None
