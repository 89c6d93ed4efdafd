"""The nightly backup: a leader-only scheduler job that makes the day's backup and keeps the newest few.

It checks every 10 minutes whether a backup was made since the latest ``ADAL_BACKUP_AT`` (02:00 by
default, in ``ADAL_TIMEZONE``); the backups' names are their times, so the folder itself is the
record, and a restarted or new leader does not make a second one. With schedulers on several
machines, ``ADAL_BACKUP_DIR`` is a folder they share.
"""

import logging
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app

from lms.backup.snapshot import WORK_PREFIX, database_and_storage, write_backup
from lms.database import utcnow
from lms.extensions import db

log = logging.getLogger(__name__)

#: Nightly backups are named by their UTC time, so names sort as times do.
NAME_FORMAT = "adal-%Y%m%dT%H%M%SZ.tar"
NAME_PATTERN = re.compile(r"adal-\d{8}T\d{6}Z\.tar")
#: When what a backup killed mid-way left is removed (``clear_abandoned``).
ABANDONED_AFTER = timedelta(days=1)
#: How often the scheduler asks whether the nightly backup is due: it starts within this of ADAL_BACKUP_AT.
CHECK_SECONDS = 600


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
    manifest = write_backup(db.session, *database_and_storage(), target, now)
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
