"""Keeping an upload and its dry run between requests, so the client holds a token and never the file.

The review page shows the kept dry run without reading the file again; applying reads the kept file
and plans it afresh, so what is applied is the database as it is then.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import asdict
from pathlib import Path

from flask import current_app

from lms.people.importing import CREATE, UPDATE, ImportPlan

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _upload_dir() -> Path:
    path = Path(current_app.config["ADAL_STORAGE_PATH"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


#: A kept upload nobody applied is removed after this many seconds.
UPLOAD_MAX_AGE = 24 * 3600


def keep_upload(data: bytes, filename: str, owner_id: int) -> str:
    """Store an uploaded file under a random name; the token is all the client ever holds.

    Uploads older than a day (checked but never applied) are removed on the way.
    """
    token = secrets.token_urlsafe(24)
    folder = _upload_dir()
    stale = time.time() - UPLOAD_MAX_AGE
    for old in folder.iterdir():
        if old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"filename": filename[:200], "owner_id": owner_id}))
    return token


def _owned_meta(token: str, owner_id: int) -> dict | None:
    """The kept upload's metadata, if ``token`` is one of ``owner_id``'s uploads."""
    if not TOKEN_RE.match(token or ""):
        return None
    try:
        meta = json.loads((_upload_dir() / f"{token}.json").read_text())
    except (OSError, ValueError):
        return None
    return meta if meta.get("owner_id") == owner_id else None


def load_upload(token: str, owner_id: int) -> tuple[bytes, str] | None:
    """The kept file and its original name, if ``token`` is one of ``owner_id``'s uploads."""
    meta = _owned_meta(token, owner_id)
    if meta is None:
        return None
    try:
        return (_upload_dir() / f"{token}.bin").read_bytes(), meta["filename"]
    except OSError:
        return None


def review_of(plan: ImportPlan, shown: int) -> dict:
    """What the dry-run page shows, as plain data: the counts, the first ``shown`` rejected rows and changes."""
    changes = [row for row in plan.rows if row.action in (CREATE, UPDATE)]
    return {
        "counts": plan.counts,
        "rejected": [asdict(row) for row in plan.rejected[:shown]],
        "changes": [asdict(row) for row in changes[:shown]],
    }


def keep_review(token: str, review: dict) -> None:
    """Keep the dry run's result next to the upload, so the review page never reads the file again."""
    (_upload_dir() / f"{token}.review.json").write_text(json.dumps(review))


def load_review(token: str, owner_id: int) -> tuple[dict, str] | None:
    """The kept dry run and the file's name, if ``token`` is one of ``owner_id``'s uploads."""
    meta = _owned_meta(token, owner_id)
    if meta is None:
        return None
    try:
        return json.loads((_upload_dir() / f"{token}.review.json").read_text()), meta["filename"]
    except (OSError, ValueError):
        return None


def discard_upload(token: str) -> None:
    if TOKEN_RE.match(token or ""):
        for suffix in (".bin", ".json", ".review.json"):
            (_upload_dir() / f"{token}{suffix}").unlink(missing_ok=True)
