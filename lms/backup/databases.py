"""Copying the database out and writing a snapshot back in, SQLite or PostgreSQL, each in one step.

SQLite is copied by its online backup API: a read transaction that copies every page while web and
scheduler go on writing (WAL); a plain copy of the file beside its ``-wal`` file gives "database disk
image is malformed". ``pg_dump`` reads in one snapshot.

Restoring is all or nothing:

- SQLite: the snapshot, extracted to a temporary file, is checked (``integrity_check``) and copied
  into the live database by the backup API, which writes it in one transaction. It is not renamed
  over the live file: SQLite would replay the old ``-wal`` file beside it onto the new one.
- PostgreSQL: ``pg_restore --no-owner`` turns the dump into SQL, which ``psql --single-transaction``
  runs after dropping every table of the schema, so every drop and create commits together or
  not at all. Not ``pg_restore --clean``: it drops only the dump's own tables, and fails when a
  newer schema added a table that refers to them (restoring last month's backup after an update).
"""

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lms.backup.errors import BackupError
from lms.models import User

#: The archive member holding the database, by the database's kind.
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


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
