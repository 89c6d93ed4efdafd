"""Encrypted at rest: the database file (SQLite) or a dump (PostgreSQL) holds no word of a case,
and ``flask concerns rotate-key`` moves every case to a new key."""

import io
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy import select
from sqlalchemy.engine import make_url

from concerns import crypto
from concerns.models import Case, CaseFile, CaseIdentity, CaseMessage
from lms.backup.databases import libpq_connection
from lms.extensions import db
from tests.concerns.helpers import report_through_form

TEXT = "Professor Zhanibekov sold exam answers in auditorium 512"
NAME = "Dauletkhan Whistleblower"
CONTACT = "whistle.contact@example.kz"
FILE_TEXT = b"Ledger of payments kept by the examiner"
#: What must appear nowhere in the stored bytes (also as UTF-16, as SQLite or a dump might store it).
SECRETS = (
    TEXT,
    NAME,
    CONTACT,
    FILE_TEXT.decode(),
    "Zhanibekov",
    "Whistleblower",
    "Ledger of payments",
    "exam_answers.txt",
)


def _file_a_named_report(client) -> tuple[str, str]:
    number, code = report_through_form(
        client,
        what=TEXT,
        identity="named",
        name=NAME,
        contact=CONTACT,
        files=[(io.BytesIO(FILE_TEXT), "exam_answers.txt")],
    )
    client.post("/report/follow-up", data={"number": number, "code": code, "text": TEXT})
    return number, code


def _stored_bytes(url: str) -> bytes:
    if url.startswith("sqlite"):
        path = Path(make_url(url).database)
        return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    dump_url, env = libpq_connection(url)
    return subprocess.run(
        ["pg_dump", "--format=plain", f"--dbname={dump_url}"], env=env, capture_output=True, check=True
    ).stdout


def test_the_stored_database_holds_no_plaintext_of_a_case(app, client):
    number, _code = _file_a_named_report(client)
    stored = _stored_bytes(app.config["SQLALCHEMY_DATABASE_URI"])
    assert number.encode() in stored  # the case's rows are there: only their contents are unreadable
    for secret in SECRETS:
        for encoding in ("utf-8", "utf-16-le"):
            assert secret.encode(encoding) not in stored, secret
    assert crypto.decrypt_json(db.session.scalar(select(CaseIdentity.data)))["name"] == NAME  # with the key, it reads


def test_rotate_key_moves_every_value_to_the_new_key(app, client, runner):
    _file_a_named_report(client)
    old_key = app.config["ADAL_CASES_KEY"]
    app.config["ADAL_CASES_KEY"] = f"a-brand-new-key-for-the-cases,{old_key}"
    try:
        result = runner.invoke(args=["concerns", "rotate-key"])
        assert result.exit_code == 0 and "Re-encrypted" in result.output
        app.config["ADAL_CASES_KEY"] = "a-brand-new-key-for-the-cases"  # the old key dropped: all still reads
        db.session.expire_all()
        assert crypto.decrypt_json(db.session.scalar(select(Case.report)))["what"] == TEXT
        assert crypto.decrypt_json(db.session.scalar(select(CaseIdentity.data)))["contact"] == CONTACT
        assert crypto.decrypt_bytes(db.session.scalar(select(CaseFile.data))) == FILE_TEXT
        assert [crypto.decrypt_text(m.body) for m in db.session.scalars(select(CaseMessage))] == [TEXT]
        app.config["ADAL_CASES_KEY"] = old_key  # and the old key alone no longer does
        with pytest.raises(InvalidToken):
            crypto.decrypt_text(db.session.scalar(select(Case.report)))
    finally:
        app.config["ADAL_CASES_KEY"] = old_key
