"""Databases of a test's own: a SQLite file, or a fresh PostgreSQL database dropped afterwards."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEST_DB_ENV = "ADAL_TEST_DATABASE_URL"


@contextmanager
def own_database(prefix: str, folder: Path, env: str = TEST_DB_ENV) -> Iterator[str]:
    """The URL of an empty database: PostgreSQL when the variable ``env`` names one, else SQLite."""
    base = os.environ.get(env)
    if not base:
        yield f"sqlite:///{folder / f'{prefix}.sqlite3'}"
        return
    url = make_url(base)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
