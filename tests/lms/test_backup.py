"""Backups: what is backed up comes back, row for row and file for file, and a restore that should not
happen changes nothing. Each test runs an Adal of its own on a migrated database (SQLite, or
PostgreSQL with ADAL_TEST_DATABASE_URL), as a restore replaces the whole database."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, select, text

from lms import create_app
from lms.backup import cli, databases, jobs, snapshot
from lms.demo import university
from lms.extensions import db
from lms.scheduler import registered_jobs, run_job
from tests.databases import own_database
from tests.factories import Builders

#: Files as the features store them: course files, a certificate zip, a name in Kazakh, bytes of every value.
STORED = {
    "course-files/1/diagram.png": bytes(range(256)) * 40,
    "exports/certificates-3.zip": b"PK\x03\x04" + b"\x00" * 5000,
    "imports/тізім.csv": "email,аты\nasel@metu.kz,Әсел\n".encode(),
    "empty.txt": b"",
}


@contextmanager
def adal_of_its_own(tmp_path: Path, **config):
    """An app on a fresh database migrated to head, with a storage folder and the backup commands."""
    with own_database("adal_backup", tmp_path) as url:
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "x",
                "ADAL_STORAGE_PATH": str(tmp_path / "storage"),
                "BABEL_DEFAULT_LOCALE": "en",
                **config,
            }
        )
        with app.app_context():
            upgrade()
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def site(tmp_path):
    with adal_of_its_own(tmp_path) as app:
        yield app


def storage_of(app) -> Path:
    return Path(app.config["ADAL_STORAGE_PATH"])


def store_files(app, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = storage_of(app) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def everything(app) -> dict:
    """Every table's row count and a checksum of its rows, and every stored file's checksum."""
    db.session.remove()
    with db.engine.connect() as conn:
        found = MetaData()
        found.reflect(conn)
        tables = {}
        for table in found.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            tables[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    files = {
        path.relative_to(storage_of(app)).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in storage_of(app).rglob("*")
        if path.is_file()
    }
    return {"tables": tables, "files": files}


def wipe(app) -> None:
    """Delete every row of every table (the revision too) and every stored file."""
    db.session.remove()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        conn.execute(text("DELETE FROM alembic_version"))
    shutil.rmtree(storage_of(app))


def run(app, command, *args, answer=None):
    return app.test_cli_runner().invoke(command, [str(arg) for arg in args], input=answer)


def people(app) -> int:
    db.session.remove()
    return databases.count_people(db.session)


def head(app) -> str:
    (revision,) = ScriptDirectory(app.extensions["migrate"].directory).get_heads()
    return revision


def rewritten(source: Path, target: Path, manifest_changes=(), files=()) -> Path:
    """A copy of a backup with some manifest fields or member contents changed."""
    changes, replaced = dict(manifest_changes), dict(files)
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read()
            if member.name == snapshot.MANIFEST:
                data = json.dumps({**json.loads(data), **changes}).encode()
            data = replaced.get(member.name, data)
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    return target


# --- backup, wipe, restore ------------------------------------------------------------------------------


def test_backup_wipe_restore_gives_back_every_row_and_every_file(site, tmp_path):
    university.seed(db.session)
    db.session.commit()
    store_files(site, STORED)
    before = everything(site)
    assert sum(count for count, _sha in before["tables"].values()) > 10_000
    assert before["tables"]["alembic_version"][0] == 1

    (tmp_path / "backups").mkdir()
    result = run(site, cli.backup_command, tmp_path / "backups")
    assert result.exit_code == 0, result.output
    (archive,) = (tmp_path / "backups").iterdir()
    assert jobs.NAME_PATTERN.fullmatch(archive.name)
    manifest = snapshot.read_manifest(archive)
    assert manifest["database"] == db.engine.dialect.name
    assert manifest["schema_revisions"] == [head(site)]
    assert manifest["people"] == people(site) == 408
    stored = sum(1 for path in storage_of(site).rglob("*") if path.is_file())  # the demo's documents too
    assert manifest["file_count"] == stored >= len(STORED)
    assert f"{manifest['people']} people, {stored} stored files" in result.output

    wipe(site)
    assert people(site) == 0
    assert not storage_of(site).exists()

    result = run(site, cli.restore_command, archive, "--yes")
    assert result.exit_code == 0, result.output
    assert "(0 people now)" in result.output
    assert everything(site) == before
    Builders(db.session).user("new.after.restore@metu.kz")
    db.session.commit()  # the sequences (PostgreSQL) came back with the rows: new ids do not collide


def test_restore_refuses_a_snapshot_of_a_newer_schema(site, tmp_path):
    archive = tmp_path / "adal.tar"
    assert run(site, cli.backup_command, archive).exit_code == 0
    newer = rewritten(archive, tmp_path / "newer.tar", {"schema_revisions": ["f00dfeedbeef"]})
    Builders(db.session).user()
    db.session.commit()
    store_files(site, {"later.txt": b"written after the backup"})
    before = everything(site)

    result = run(site, cli.restore_command, newer, "--yes")

    assert result.exit_code == 1
    assert "f00dfeedbeef" in result.output
    assert head(site) in result.output
    assert "newer than this version of Adal" in result.output
    assert everything(site) == before


def test_restore_answered_no_changes_nothing(site, tmp_path):
    archive = tmp_path / "adal.tar"
    assert run(site, cli.backup_command, archive).exit_code == 0
    make = Builders(db.session)
    make.user()
    make.user()
    db.session.commit()
    store_files(site, STORED)
    before = everything(site)

    result = run(site, cli.restore_command, archive, answer="n\n")

    assert result.exit_code == 1
    assert "holds 0 people and 0 stored files" in result.output
    assert f"(2 people now) and the storage folder {storage_of(site)} ({len(STORED)} files now)" in result.output
    assert "Replace them? [y/N]" in result.output
    assert "Nothing was changed." in result.output
    assert everything(site) == before


def test_restore_refuses_a_damaged_backup_and_changes_nothing(site, tmp_path):
    store_files(site, STORED)
    archive = tmp_path / "adal.tar"
    assert run(site, cli.backup_command, archive).exit_code == 0
    damaged = rewritten(archive, tmp_path / "damaged.tar", files={"storage/empty.txt": b"x"})
    Builders(db.session).user()
    db.session.commit()
    before = everything(site)

    result = run(site, cli.restore_command, damaged, "--yes")

    assert result.exit_code == 1
    assert "storage/empty.txt does not match its checksum" in result.output
    assert everything(site) == before
    assert [p.name for p in storage_of(site).parent.iterdir() if p.name.startswith(".")] == []


def test_a_snapshot_of_an_older_schema_is_restored_then_upgraded(site, tmp_path):
    downgrade(revision="-1")
    db.session.remove()
    older = everything(site)["tables"]["alembic_version"]
    archive = tmp_path / "older.tar"
    assert run(site, cli.backup_command, archive).exit_code == 0
    assert snapshot.read_manifest(archive)["schema_revisions"] != [head(site)]
    upgrade()
    assert everything(site)["tables"]["alembic_version"] != older

    result = run(site, cli.restore_command, archive, "--yes")

    assert result.exit_code == 0, result.output
    assert "upgrading it" in result.output
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head(site)
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


# --- consistency under writes (SQLite) -------------------------------------------------------------------

WRITER = """
import sqlite3, sys, time
from pathlib import Path
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=15)
conn.execute("PRAGMA journal_mode=WAL")
stop = Path(sys.argv[2])
blob = bytes(4000)
while not stop.exists():
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO pairs (half, data) VALUES (1, ?)", (blob,))
    conn.execute("INSERT INTO pairs (half, data) VALUES (2, ?)", (blob,))
    conn.execute("COMMIT")
"""


def pairs_written(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return conn.execute("SELECT count(*) FROM pairs").fetchone()[0]


def test_a_sqlite_backup_taken_while_another_process_writes_is_consistent(site, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's online backup; pg_dump reads in one snapshot")
    database = databases.sqlite_file(site.config["SQLALCHEMY_DATABASE_URI"])
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE pairs (id INTEGER PRIMARY KEY, half INTEGER, data BLOB)")
        conn.executemany("INSERT INTO pairs (half, data) VALUES (?, zeroblob(100000))", [(1,), (2,)] * 200)
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(database), str(stop)])
    try:
        deadline = time.monotonic() + 10
        while pairs_written(database) < 500 and time.monotonic() < deadline:
            time.sleep(0.01)
        written_before = pairs_written(database)
        archive = tmp_path / "adal.tar"
        assert run(site, cli.backup_command, archive).exit_code == 0
        assert pairs_written(database) > written_before, "the writer went on writing during the backup"
    finally:
        stop.touch()
        writer.wait(timeout=10)
    with tarfile.open(archive) as tar:
        tar.extract("database.sqlite3", tmp_path / "out", filter="data")
    snapshot = tmp_path / "out" / "database.sqlite3"
    assert not (tmp_path / "out" / "database.sqlite3-wal").exists()
    with sqlite3.connect(snapshot) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        copied = conn.execute("SELECT count(*), sum(half = 1) FROM pairs").fetchone()
    assert copied[0] >= written_before
    assert copied[0] == 2 * copied[1], "every transaction of the writer is in the copy whole or not at all"


# --- the nightly backup ---------------------------------------------------------------------------------


def almaty(day: int, hour: int, minute: int = 0) -> datetime:
    """A December time on Almaty's clocks (UTC+5), in UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=ZoneInfo("Asia/Almaty")).astimezone(UTC)


def test_the_nightly_backup_runs_once_a_day_after_its_hour_and_keeps_the_newest(tmp_path):
    folder = tmp_path / "nightly"
    config = {"ADAL_BACKUP_DIR": str(folder), "ADAL_BACKUP_KEEP": "2", "ADAL_BACKUP_AT": "02:00"}
    with adal_of_its_own(tmp_path, **config) as app:
        assert "backup.nightly" in [job.id for job in registered_jobs(app)]
        folder.mkdir()
        (folder / "notes.txt").write_text("not a backup")
        (folder / "adal-before-the-update.tar").write_text("named by hand: not pruned")
        store_files(app, STORED)

        made = [jobs.run_nightly_backup(now=almaty(day, hour)) for day, hour in [(1, 3), (1, 23), (2, 1)]]
        assert made == [folder / "adal-20261130T220000Z.tar", None, None]
        assert jobs.run_nightly_backup(now=almaty(2, 2, 10)) == folder / "adal-20261201T211000Z.tar"
        for day in (3, 4):
            assert jobs.run_nightly_backup(now=almaty(day, 2, 10)) is not None

        assert sorted(p.name for p in folder.iterdir()) == [
            "adal-20261202T211000Z.tar",
            "adal-20261203T211000Z.tar",
            "adal-before-the-update.tar",
            "notes.txt",
        ]
        assert snapshot.read_manifest(folder / "adal-20261203T211000Z.tar")["file_count"] == len(STORED)


def test_what_a_killed_backup_left_is_removed_a_day_later(tmp_path):
    folder = tmp_path / "nightly"
    folder.mkdir()
    now = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)
    old, fresh = (now - timedelta(days=2)).timestamp(), (now - timedelta(hours=1)).timestamp()
    left = {
        "adal-20261130T210000Z.tar.partial": old,
        "adal-20261202T200000Z.tar.partial": fresh,  # perhaps still being written
        snapshot.WORK_PREFIX + "abc": old,
    }
    for name, when in left.items():
        path = folder / name
        if name.startswith(snapshot.WORK_PREFIX):
            path.mkdir()
            (path / "database.pgdump").write_bytes(b"half")
        else:
            path.write_bytes(b"half")
        os.utime(path, (when, when))
    kept = folder / "adal-20261201T210000Z.tar"
    kept.write_bytes(b"a backup")
    removed = jobs.clear_abandoned(folder, now)
    assert sorted(p.name for p in removed) == [snapshot.WORK_PREFIX + "abc", "adal-20261130T210000Z.tar.partial"]
    assert sorted(p.name for p in folder.iterdir()) == [
        "adal-20261201T210000Z.tar",
        "adal-20261202T200000Z.tar.partial",
    ]


def test_the_scheduler_runs_the_nightly_backup_as_a_leader_only_job(tmp_path):
    folder = tmp_path / "nightly"
    with adal_of_its_own(tmp_path, ADAL_BACKUP_DIR=str(folder)) as app:
        Builders(db.session).user()
        db.session.commit()
        (job,) = [job for job in registered_jobs(app) if job.id == "backup.nightly"]
        assert job.leader_only

        run_job(app, job)  # as the scheduler does: in a job's app context, SQLite transactions IMMEDIATE

        (archive,) = folder.iterdir()
        assert snapshot.read_manifest(archive)["people"] == 1
        assert people(app) == 1


def test_backup_says_what_is_wrong_with_its_path(site, tmp_path):
    result = run(site, cli.backup_command, tmp_path / "nowhere" / "adal.tar")
    assert result.exit_code == 1
    assert f"The folder {tmp_path / 'nowhere'} does not exist." in result.output
    (tmp_path / "adal.tar").write_text("an older backup")
    result = run(site, cli.backup_command, tmp_path / "adal.tar")
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert (tmp_path / "adal.tar").read_text() == "an older backup"


def test_no_nightly_backup_without_a_folder(site):
    assert "backup.nightly" not in [job.id for job in registered_jobs(site)]
