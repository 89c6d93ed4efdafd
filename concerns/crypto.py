"""Encryption at rest of everything a case says, with ``ADAL_CASES_KEY`` (never in the database).

Fernet tokens carry the time they were made in clear; a report's would tell when it was filed to
the second. Every token here is made at time 0 instead, and rotation keeps that time.
"""

import json

from cryptography.fernet import MultiFernet
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from concerns.models import Case, CaseFile, CaseIdentity, CaseMessage, IdentityRequest
from lms.keys import multi_fernet

#: The encrypted columns, as (model, column name): ``rotate_key`` re-encrypts each of them.
ENCRYPTED_COLUMNS = (
    (Case, "report"),
    (CaseIdentity, "data"),
    (IdentityRequest, "reason"),
    (CaseMessage, "body"),
    (CaseFile, "name"),
    (CaseFile, "data"),
)


def _fernet() -> MultiFernet:
    return multi_fernet(current_app.config["ADAL_CASES_KEY"], "concern cases")


def encrypt_bytes(data: bytes) -> bytes:
    return _fernet().encrypt_at_time(data, 0)


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet().decrypt(token)


def encrypt_text(text: str) -> str:
    return encrypt_bytes(text.encode()).decode()


def decrypt_text(token: str) -> str:
    return decrypt_bytes(token.encode()).decode()


def encrypt_json(value: dict) -> str:
    return encrypt_text(json.dumps(value, ensure_ascii=False))


def decrypt_json(token: str) -> dict:
    return json.loads(decrypt_text(token))


def rotate_key(session: Session, batch: int = 200) -> int:
    """Re-encrypt every case column with the first key of ``ADAL_CASES_KEY``; returns the values rewritten.

    Works in batches by id so memory stays flat; the caller commits.
    """
    fernet = _fernet()
    rewritten = 0
    for model, column in ENCRYPTED_COLUMNS:
        last_id = 0
        while True:
            rows = session.scalars(select(model).where(model.id > last_id).order_by(model.id).limit(batch)).all()
            if not rows:
                break
            for row in rows:
                value = getattr(row, column)
                as_bytes = value if isinstance(value, bytes) else value.encode()
                rotated = fernet.rotate(as_bytes)
                setattr(row, column, rotated if isinstance(value, bytes) else rotated.decode())
                rewritten += 1
            last_id = rows[-1].id
            session.flush()
    return rewritten
