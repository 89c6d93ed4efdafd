"""Restoring a backup: everything that could refuse it is checked before anything is replaced.

The snapshot is of the configured database's kind; its schema is one the code's migrations know (a
newer one is refused: update Adal first); every member matches its checksum. Then the database is
replaced in one transaction (``databases``) and the storage folder is extracted to a temporary folder
beside it (so the storage folder must not be a mount point itself: point ``ADAL_STORAGE_PATH`` at a
folder inside the mount) and swapped by two renames. Empty folders are not kept; run restore as the
user Adal runs as.

A snapshot of an older schema is upgraded (``flask db upgrade``) right after it is restored: the
code runs on its own schema only, so a restored older database would fail on every page until
someone remembered to upgrade it. Stop the web and scheduler processes before a restore: their
transactions would hold it up, and what they write after the snapshot was made is replaced.
"""

import os
import shutil
import tarfile
import tempfile
import uuid
from pathlib import Path

from alembic.script import ScriptDirectory
from flask_babel import gettext as _

from lms.backup.databases import DATABASE_MEMBERS, database_kind, restore_database
from lms.backup.errors import BackupError
from lms.backup.snapshot import MANIFEST, STORAGE, file_sha256


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
