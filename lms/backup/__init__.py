"""Backups: one file holding a consistent snapshot of the database and of the storage folder.

``flask --app app backup PATH`` writes one, ``flask --app app restore PATH`` puts one back (``cli``), and
with ``ADAL_BACKUP_DIR`` set the scheduler writes one every night and keeps the newest
``ADAL_BACKUP_KEEP`` (``jobs``). ``snapshot`` is the file and how it is written and read; ``databases``
copies SQLite or PostgreSQL out and back in; ``restore`` checks a snapshot and puts it back;
``errors`` is what they all refuse with.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """The ``backup`` and ``restore`` commands, and the nightly backup when ``ADAL_BACKUP_DIR`` is set."""
    from lms.backup import cli, jobs
    from lms.scheduler import register_job

    app.cli.add_command(cli.backup_command)
    app.cli.add_command(cli.restore_command)
    if jobs.BackupSettings.from_config(app.config).folder is not None:
        register_job(app, "backup.nightly", jobs.run_nightly_backup, seconds=jobs.CHECK_SECONDS)
