"""Backups: one file holding a consistent snapshot of the database and of the storage folder.

``flask --app app backup PATH`` writes one, ``flask --app app restore PATH`` puts one back, and with
``ADAL_BACKUP_DIR`` set the scheduler writes one every night and keeps the newest ``ADAL_BACKUP_KEEP``.

**The file** is a tar archive rather than a folder: one file to copy off the machine, to checksum
and to write atomically (it is written as ``NAME.partial`` and renamed when complete, so a backup
folder never holds half a backup that retention would count as one). It is not compressed:
``pg_dump``'s custom format is compressed already, and so are the stored PDFs and zips. ``tar``
lists it and extracts it by hand if ever needed. It holds:

- ``database.sqlite3`` (a SQLite database file) or ``database.pgdump`` (``pg_dump --format=custom``);
- ``storage/…``: the storage folder (``ADAL_STORAGE_PATH``: certificates, uploads, course files);
- ``manifest.json``, written last once every checksum is known: the format version, the database's
  Alembic revisions, the database kind, when it was made (UTC), how many people and files it
  holds, and a SHA-256 of every other member.

**Consistency.** SQLite is copied by its online backup API in one step: a read transaction that
copies every page while web and scheduler go on writing (WAL); a plain copy of the file beside
its ``-wal`` file gives "database disk image is malformed". ``pg_dump`` reads in one snapshot.
The database goes first and the files after: a file (certificate, export, course file) is written
before the row naming it commits, so every row of the snapshot finds its file, and a file
written meanwhile is at worst one the database does not name.

**Restore** checks everything before it replaces anything: the snapshot is of the configured
database's kind; its schema is one the code's migrations know (a newer one is refused: update
Adal first); every member matches its checksum. Then, nothing half-restored:

- SQLite: the snapshot is extracted to a temporary file, checked (``integrity_check``) and copied
  into the live database by the backup API, which writes it in one transaction. It is not renamed
  over the live file: SQLite would replay the old ``-wal`` file beside it onto the new one.
- PostgreSQL: ``pg_restore --no-owner`` turns the dump into SQL, which ``psql --single-transaction``
  runs after dropping every table of the schema, so every drop and create commits together or
  not at all. Not ``pg_restore --clean``: it drops only the dump's own tables, and fails when a
  newer schema added a table that refers to them (restoring last month's backup after an update).
- storage: extracted to a temporary folder beside the storage folder (so the storage folder must
  not be a mount point itself: point ``ADAL_STORAGE_PATH`` at a folder inside the mount), then
  swapped by two renames. Empty folders are not kept; run restore as the user Adal runs as.

A snapshot of an older schema is upgraded (``flask db upgrade``) right after it is restored: the
code runs on its own schema only, so a restored older database would fail on every page until
someone remembered to upgrade it. Stop the web and scheduler processes before a restore: their
transactions would hold it up, and what they write after the snapshot was made is replaced.

**Nightly**: a leader-only scheduler job checks every 10 minutes whether a backup was made since
the latest ``ADAL_BACKUP_AT`` (02:00 by default, in ``ADAL_TIMEZONE``); the backups' names are
their times, so the folder itself is the record, and a restarted or new leader does not make a
second one. With schedulers on several machines, ``ADAL_BACKUP_DIR`` is a folder they share.
"""

import hashlib
import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lms.database import utcnow
from lms.extensions import db
from lms.health import recorded_revisions
from lms.models import User

log = logging.getLogger(__name__)

FORMAT = "adal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
STORAGE = "storage"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
#: Nightly backups are named by their UTC time, so names sort as times do.
NAME_FORMAT = "adal-%Y%m%dT%H%M%SZ.tar"
NAME_PATTERN = re.compile(r"adal-\d{8}T\d{6}Z\.tar")
#: A backup's work folder beside its target, and when what a killed backup left is removed.
WORK_PREFIX = ".adal-backup-"
ABANDONED_AFTER = timedelta(days=1)
#: How often the scheduler asks whether the nightly backup is due: it starts within this of ADAL_BACKUP_AT.
CHECK_SECONDS = 600


class BackupError(Exception):
    """A backup that cannot be written, or a snapshot that cannot be restored; the message says why."""


# --- the database -----------------------------------------------------------------------------------


def database_kind(database_url: str) -> str:
    """``sqlite`` or ``postgresql``, from the SQLAlchemy URL (``postgresql+psycopg://`` too)."""
    kind = make_url(database_url).get_backend_name()
    if kind not in DATABASE_MEMBERS:
        raise BackupError(_("Backups support SQLite and PostgreSQL, not %(kind)s.", kind=kind))
    return kind


def sqlite_file(database_url: str) -> Path:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        raise BackupError(_("An in-memory SQLite database cannot be backed up or restored."))
    return Path(path)


def libpq_connection(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL ``pg_dump``/``pg_restore`` take (no ``+psycopg``), and the environment with the password.

    The password goes in ``PGPASSWORD``, not on the command line, where ``ps`` would show it.
    """
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def run_postgres_tool(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(_("%(tool)s failed: %(error)s", tool=command[0], error=result.stderr.strip()))


def copy_sqlite_database(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API, in one step (one read transaction).

    The copy is switched out of WAL mode so that it is one self-contained file.
    """
    if not source.exists():
        raise BackupError(_("The database file %(path)s does not exist.", path=source))
    # mode=rw: a missing file is an error instead of a new empty database.
    with (
        closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=15)) as live,
        closing(sqlite3.connect(target)) as copy,
    ):
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")


def dump_database(database_url: str, target: Path) -> None:
    if database_kind(database_url) == "sqlite":
        copy_sqlite_database(sqlite_file(database_url), target)
    else:
        url, env = libpq_connection(database_url)
        run_postgres_tool(["pg_dump", "--format=custom", f"--file={target}", f"--dbname={url}"], env)


def restore_sqlite_database(snapshot: Path, live: Path) -> None:
    """Check the snapshot, then write it into the live database in one transaction (backup API)."""
    with closing(sqlite3.connect(snapshot)) as source:
        verdict = source.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(_("The snapshot's database is damaged: %(verdict)s", verdict=verdict))
        with closing(sqlite3.connect(live, timeout=15)) as target:
            source.backup(target)


#: Run first in the restore's transaction: the database is replaced whole, tables a newer schema added too.
DROP_EVERY_TABLE = """
DO $$
DECLARE item record;
BEGIN
  FOR item IN
    SELECT format('DROP VIEW IF EXISTS %I.%I CASCADE', schemaname, viewname) AS statement
      FROM pg_views WHERE schemaname = current_schema()
    UNION ALL SELECT format('DROP TABLE IF EXISTS %I.%I CASCADE', schemaname, tablename)
      FROM pg_tables WHERE schemaname = current_schema()
    UNION ALL SELECT format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', sequence_schema, sequence_name)
      FROM information_schema.sequences WHERE sequence_schema = current_schema()
    UNION ALL SELECT format('DROP TYPE IF EXISTS %I.%I CASCADE', n.nspname, t.typname)
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = current_schema() AND t.typtype = 'e'
  LOOP
    EXECUTE item.statement;
  END LOOP;
END $$;
"""


def restore_postgres_database(snapshot: Path, database_url: str) -> None:
    """Replace the whole schema with the dump's in one transaction (see the module's docstring)."""
    url, env = libpq_connection(database_url)
    script = snapshot.with_suffix(".sql")
    run_postgres_tool(["pg_restore", "--no-owner", f"--file={script}", str(snapshot)], env)
    psql = ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1", f"--dbname={url}"]
    run_postgres_tool([*psql, f"--command={DROP_EVERY_TABLE}", f"--file={script}"], env)


def restore_database(snapshot: Path, database_url: str) -> None:
    if database_kind(database_url) == "sqlite":
        restore_sqlite_database(snapshot, sqlite_file(database_url))
    else:
        restore_postgres_database(snapshot, database_url)


def count_people(session: Session) -> int | None:
    """How many people the database holds; None when it holds no Adal database (yet)."""
    try:
        return session.scalar(select(func.count()).select_from(User))
    except SQLAlchemyError:
        session.rollback()
        return None


# --- the storage folder -------------------------------------------------------------------------------


def stored_files(storage: Path) -> Iterator[Path]:
    """The regular files of the storage folder, in a stable order (links and the like are left out)."""
    if storage.is_dir():
        yield from (path for path in sorted(storage.rglob("*")) if path.is_file() and not path.is_symlink())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class _Hashing:
    """A file read through this is hashed on the way, so each file is read once while it is archived."""

    def __init__(self, file):
        self.file = file
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.digest.update(data)
        return data


def add_file(archive: tarfile.TarFile, path: Path, name: str) -> str:
    """Add one file to the archive under ``name``; return its SHA-256."""
    with path.open("rb") as file:
        info = archive.gettarinfo(arcname=name, fileobj=file)
        hashing = _Hashing(file)
        archive.addfile(info, hashing)
    return hashing.digest.hexdigest()


def swap_folder(new: Path, live: Path) -> None:
    """Put the folder ``new`` where ``live`` is, by renames (same file system), then delete the old one."""
    old = live.with_name(f".{live.name}.replaced-{uuid.uuid4().hex[:8]}")
    if live.exists():
        live.rename(old)
    try:
        new.rename(live)
    except OSError:
        if old.exists():
            old.rename(live)
        raise
    shutil.rmtree(old, ignore_errors=True)


# --- writing and reading a backup ---------------------------------------------------------------------


def write_backup(session: Session, database_url: str, storage: Path, target: Path, now: datetime) -> dict:
    """Write a backup of the database and the storage folder to ``target``; return its manifest."""
    if target.exists():
        raise BackupError(_("%(path)s exists already; choose a new name or a folder.", path=target))
    if not target.parent.is_dir():
        raise BackupError(_("The folder %(path)s does not exist.", path=target.parent))
    kind = database_kind(database_url)
    revisions = recorded_revisions(session)
    people = count_people(session)
    # End the read now: inside a scheduled job on SQLite it began IMMEDIATE and holds the write lock.
    session.rollback()
    partial = target.with_name(f"{target.name}.partial")
    checksums: dict[str, str] = {}
    try:
        work_folder = tempfile.TemporaryDirectory(dir=target.parent, prefix=WORK_PREFIX)
        with work_folder as work, tarfile.open(partial, "w") as archive:
            dump = Path(work) / DATABASE_MEMBERS[kind]
            dump_database(database_url, dump)
            checksums[dump.name] = add_file(archive, dump, dump.name)
            for path in stored_files(storage):
                name = f"{STORAGE}/{path.relative_to(storage).as_posix()}"
                checksums[name] = add_file(archive, path, name)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": now.isoformat(),
                "database": kind,
                "schema_revisions": sorted(revisions) if revisions is not None else None,
                "people": people,
                "file_count": len(checksums) - 1,
                "checksums": checksums,
            }
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o644
            archive.addfile(info, io.BytesIO(data))
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def read_manifest(path: Path) -> dict:
    """The manifest of a backup file; a BackupError when it is not one Adal can read."""
    try:
        with tarfile.open(path) as archive:
            member = archive.extractfile(MANIFEST)
            manifest = json.loads(member.read()) if member else None
    except (OSError, KeyError, tarfile.TarError, ValueError) as error:
        raise BackupError(_("%(path)s is not an Adal backup (%(error)s).", path=path, error=error)) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(_("%(path)s is not an Adal backup.", path=path))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            _(
                "This backup's format is version %(found)s; this version of Adal reads version %(supported)s.",
                found=manifest.get("format_version"),
                supported=FORMAT_VERSION,
            )
        )
    return manifest


class SnapshotSchema:
    """How a snapshot's schema stands against the code's migrations."""

    AT_HEAD = "at_head"
    #: Restored, then upgraded.
    OLDER = "older"
    #: The snapshot records no revision (a database built by ``create_all``): restored as it is.
    UNKNOWN = "unknown"


def snapshot_schema(manifest: dict, migrations: ScriptDirectory) -> str:
    """Compare the snapshot's revisions with the code's; a BackupError for one the code does not know."""
    recorded = manifest.get("schema_revisions")
    if recorded is None:
        return SnapshotSchema.UNKNOWN
    heads = set(migrations.get_heads())
    known = {script.revision for script in migrations.walk_revisions()}
    if not set(recorded) <= known:
        raise BackupError(
            _(
                "The snapshot's schema is at revision %(snapshot)s, newer than this version of Adal "
                "(its migrations end at %(head)s). Update Adal to a version that has it, then restore.",
                snapshot=", ".join(recorded),
                head=", ".join(sorted(heads)),
            )
        )
    return SnapshotSchema.AT_HEAD if set(recorded) == heads else SnapshotSchema.OLDER


def check_restorable(manifest: dict, database_url: str, storage: Path, migrations: ScriptDirectory) -> str:
    """Everything that would refuse a restore, checked before anything is touched; return its ``SnapshotSchema``."""
    kind = database_kind(database_url)
    if manifest["database"] != kind:
        raise BackupError(
            _(
                "This is a backup of a %(snapshot)s database; Adal is configured for %(configured)s.",
                snapshot=manifest["database"],
                configured=kind,
            )
        )
    if storage.is_dir() and os.path.ismount(storage):
        raise BackupError(
            _(
                "The storage folder %(path)s is a mount point and cannot be swapped: point "
                "ADAL_STORAGE_PATH at a folder inside it.",
                path=storage,
            )
        )
    return snapshot_schema(manifest, migrations)


def extract_verified(path: Path, manifest: dict, work: Path) -> None:
    """Extract the backup into ``work`` and check every member against the manifest's checksums."""
    try:
        with tarfile.open(path) as archive:
            archive.extractall(work, filter="data")  # refuses absolute paths, "..", links leading out
    except (OSError, tarfile.TarError) as error:
        raise BackupError(_("The backup cannot be extracted: %(error)s", error=error)) from error
    checksums = manifest["checksums"]
    found = {p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file()} - {MANIFEST}
    if found != set(checksums):
        raise BackupError(_("The backup does not hold the files its manifest lists: it is incomplete or altered."))
    for name, expected in checksums.items():
        if file_sha256(work / name) != expected:
            raise BackupError(_("%(name)s does not match its checksum: the backup is damaged.", name=name))


def restore_backup(path: Path, manifest: dict, database_url: str, storage: Path) -> None:
    """Replace the database and the storage folder with the snapshot (checked with ``check_restorable``)."""
    storage.parent.mkdir(parents=True, exist_ok=True)
    # Beside the storage folder, so that the swap is a rename on one file system.
    with tempfile.TemporaryDirectory(prefix=f".{storage.name}.restore-", dir=storage.parent) as work_dir:
        work = Path(work_dir)
        extract_verified(path, manifest, work)
        restore_database(work / DATABASE_MEMBERS[manifest["database"]], database_url)
        (work / STORAGE).mkdir(exist_ok=True)
        swap_folder(work / STORAGE, storage)


# --- the nightly backup -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupSettings:
    folder: Path | None
    #: How many nightly backups to keep, newest first.
    keep: int
    #: The local time (ADAL_TIMEZONE) after which each day's backup is made.
    at: time
    zone: ZoneInfo

    @classmethod
    def from_config(cls, config) -> "BackupSettings":
        """``ADAL_BACKUP_DIR`` (unset: no nightly backup), ``ADAL_BACKUP_KEEP`` (7), ``ADAL_BACKUP_AT`` (02:00),
        read by ``lms.config``; an empty value is the default."""

        def setting(name: str, default: str) -> str:
            value = config.get(name)
            return default if value in (None, "") else str(value)

        folder = setting("ADAL_BACKUP_DIR", "")
        keep = int(setting("ADAL_BACKUP_KEEP", "7"))
        if keep < 1:
            raise ValueError("ADAL_BACKUP_KEEP must be 1 or more")
        return cls(
            folder=Path(folder) if folder else None,
            keep=keep,
            at=time.fromisoformat(setting("ADAL_BACKUP_AT", "02:00")),
            zone=ZoneInfo(config["ADAL_TIMEZONE"]),
        )


def backup_times(folder: Path) -> dict[Path, datetime]:
    """The backups in ``folder`` named as the nightly ones are (``adal-20261201T200000Z.tar``), with their times."""
    if not folder.is_dir():
        return {}
    return {
        path: datetime.strptime(path.name, NAME_FORMAT).replace(tzinfo=UTC)
        for path in folder.iterdir()
        if NAME_PATTERN.fullmatch(path.name)
    }


def backup_is_due(now: datetime, newest: datetime | None, at: time, zone: ZoneInfo) -> bool:
    """True when no backup was made since the latest ``at`` o'clock (local time) that has passed."""
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), at, tzinfo=zone)
    if moment > local:
        moment -= timedelta(days=1)
    return newest is None or newest < moment


def prune_backups(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups named as the nightly ones; return those deleted."""
    times = backup_times(folder)
    old = sorted(times, key=times.get, reverse=True)[keep:]
    for path in old:
        path.unlink()
    return old


def clear_abandoned(folder: Path, now: datetime) -> list[Path]:
    """Delete what a backup killed mid-way left (``NAME.partial``, its work folder) a day later.

    A day: no backup runs that long, so nothing still being written is touched.
    """
    before = (now - ABANDONED_AFTER).timestamp()
    left = [*folder.glob("*.partial"), *folder.glob(f"{WORK_PREFIX}*")]
    abandoned = [path for path in left if path.stat().st_mtime < before]
    for path in abandoned:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return abandoned


def run_nightly_backup(now: datetime | None = None) -> Path | None:
    """The scheduler's job: make the day's backup once ``ADAL_BACKUP_AT`` has passed, then prune."""
    settings = BackupSettings.from_config(current_app.config)
    now = now or utcnow()
    times = backup_times(settings.folder)
    if not backup_is_due(now, max(times.values(), default=None), settings.at, settings.zone):
        return None
    settings.folder.mkdir(parents=True, exist_ok=True)
    target = settings.folder / now.astimezone(UTC).strftime(NAME_FORMAT)
    manifest = write_backup(db.session, *_database_and_storage(), target, now)
    deleted = prune_backups(settings.folder, settings.keep)
    for path in clear_abandoned(settings.folder, now):
        log.warning("removed %s, left by a backup that was stopped mid-way", path)
    log.info(
        "nightly backup %s written (%s people, %s files); %s older deleted",
        target,
        manifest["people"],
        manifest["file_count"],
        len(deleted),
    )
    return target


def _database_and_storage() -> tuple[str, Path]:
    return current_app.config["SQLALCHEMY_DATABASE_URI"], Path(current_app.config["ADAL_STORAGE_PATH"])


# --- the commands ---------------------------------------------------------------------------------------


@contextmanager
def _operator_language() -> Iterator[None]:
    """Messages in the operator's language (``LANG``), as ``flask people import`` says them."""
    from lms.cli import terminal_language

    with force_locale(terminal_language()):
        yield


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a backup of the database and the storage folder to PATH (a folder: a new file named by the time)."""
    with _operator_language():
        now = utcnow()
        target = path / now.strftime(NAME_FORMAT) if path.is_dir() else path
        try:
            manifest = write_backup(db.session, *_database_and_storage(), target, now)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(
            _(
                "Backup written to %(path)s: %(people)s people, %(files)s stored files, %(size)s MB.",
                path=target,
                people=manifest["people"],
                files=manifest["file_count"],
                size=f"{target.stat().st_size / 1e6:.1f}",
            )
        )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the data without asking (for scripts).")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database and the storage folder with the backup at PATH; stop web and scheduler first."""
    from flask_migrate import upgrade

    with _operator_language():
        database_url, storage = _database_and_storage()
        migrations = ScriptDirectory(current_app.extensions["migrate"].directory)
        try:
            manifest = read_manifest(path)
            schema = check_restorable(manifest, database_url, storage, migrations)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        people_now = count_people(db.session)
        click.echo(
            _(
                "The backup of %(created)s holds %(people)s people and %(files)s stored files.",
                created=manifest["created_at"],
                people=manifest["people"],
                files=manifest["file_count"],
            )
        )
        click.echo(
            _(
                "Restoring it replaces the database (%(people)s people now) and the storage folder "
                "%(storage)s (%(files)s files now).",
                people=people_now if people_now is not None else 0,
                storage=storage,
                files=sum(1 for _path in stored_files(storage)),
            )
        )
        if not yes and not click.confirm(_("Replace them?")):
            click.echo(_("Nothing was changed."))
            raise click.exceptions.Exit(1)
        db.session.remove()
        db.engine.dispose()  # no pooled connection of this process in the way of the restore
        try:
            restore_backup(path, manifest, database_url, storage)
        except BackupError as error:
            raise click.ClickException(_("%(error)s Nothing was changed.", error=error)) from error
        if schema == SnapshotSchema.OLDER:
            click.echo(_("The backup's schema is older than this version's: upgrading it."))
            upgrade()
            db.engine.dispose()
        click.echo(_("Restored."))


def init_app(app: Flask) -> None:
    """The ``backup`` and ``restore`` commands, and the nightly backup when ``ADAL_BACKUP_DIR`` is set."""
    from lms.scheduler import register_job

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    if BackupSettings.from_config(app.config).folder is not None:
        register_job(app, "backup.nightly", run_nightly_backup, seconds=CHECK_SECONDS)
