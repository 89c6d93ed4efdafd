"""The backup file: a tar archive (a snapshot) of the database's dump, the storage folder and a manifest.

A tar archive rather than a folder: one file to copy off the machine, to checksum and to write
atomically (it is written as ``NAME.partial`` and renamed when complete, so a backup folder never
holds half a backup that retention would count as one). It is not compressed: ``pg_dump``'s custom
format is compressed already, and so are the stored PDFs and zips. ``tar`` lists it and extracts it
by hand if ever needed. It holds:

- ``database.sqlite3`` (a SQLite database file) or ``database.pgdump`` (``pg_dump --format=custom``);
- ``storage/…``: the storage folder (``ADAL_STORAGE_PATH``: certificates, uploads, course files);
- ``manifest.json``, written last once every checksum is known: the format version, the database's
  Alembic revisions, the database kind, when it was made (UTC), how many people and files it
  holds, and a SHA-256 of every other member.

**Consistency.** The database goes first and the files after: a file (certificate, export, course
file) is written before the row naming it commits, so every row of the snapshot finds its file,
and a file written meanwhile is at worst one the database does not name.
"""

import hashlib
import io
import json
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lms.backup.databases import DATABASE_MEMBERS, count_people, database_kind, dump_database
from lms.backup.errors import BackupError
from lms.health import recorded_revisions

FORMAT = "adal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
STORAGE = "storage"
#: A backup's work folder beside its target (what a killed backup left is removed by the nightly job).
WORK_PREFIX = ".adal-backup-"


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


def database_and_storage() -> tuple[str, Path]:
    """The configured database's URL and storage folder: what a backup holds and a restore replaces."""
    return current_app.config["SQLALCHEMY_DATABASE_URI"], Path(current_app.config["ADAL_STORAGE_PATH"])
