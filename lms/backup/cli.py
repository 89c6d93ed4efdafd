"""``flask backup`` and ``flask restore``: the operator's two commands, in the operator's language."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.backup.databases import count_people
from lms.backup.errors import BackupError
from lms.backup.jobs import NAME_FORMAT
from lms.backup.restore import SnapshotSchema, check_restorable, restore_backup
from lms.backup.snapshot import database_and_storage, read_manifest, stored_files, write_backup
from lms.database import utcnow
from lms.extensions import db


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
            manifest = write_backup(db.session, *database_and_storage(), target, now)
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
        database_url, storage = database_and_storage()
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
