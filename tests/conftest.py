"""Fixtures for every test: an app on a real database (SQLite or PostgreSQL), clients, builders.

``ADAL_TEST_DATABASE_URL`` picks the database; unset, each test worker gets a SQLite file. On
PostgreSQL each worker creates its own database (so parallel runs never share rows) and drops it
at the end. Rows are really committed (the scheduler, subprocess and concurrency tests need
that) and every table is emptied after each test.
"""

import os
import re

import pytest
from flask import g
from sqlalchemy import text

from lms import create_app
from lms.extensions import db as _db
from lms.extensions import limiter
from tests import factories
from tests.databases import TEST_DB_ENV, own_database


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database of this worker's own, made empty for the session."""
    with own_database(f"adal_{_worker()}", tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The app as in production, but on the test database, with CSRF checked only where a test asks."""
    storage = tmp_path_factory.mktemp("storage")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "ADAL_BASE_URL": "http://adal.test",
            "ADAL_STORAGE_PATH": str(storage),
            "SERVER_NAME": None,
            # Signing in with a code is tested in tests/security/test_two_factor.py; elsewhere the
            # office signs in with the password alone.
            "ADAL_TWO_FACTOR_REQUIRED": False,
            # Messages built outside a request (CLI, jobs, validation) read in English in tests;
            # visitors still default to Kazakh (see test_visitors_default_to_kazakh).
            "BABEL_DEFAULT_LOCALE": "en",
        }
    )
    with app.app_context():
        _db.create_all()

    @app.before_request
    def _fresh_g_as_in_production():
        """Tests keep an app context pushed, so requests would share ``g`` (locale, signed-in user)."""
        for key in list(vars(g)):
            delattr(g, key)

    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The database session inside an app context; every table is emptied after the test."""
    ctx = app.app_context()
    ctx.push()
    yield _db
    _db.session.rollback()
    _db.session.remove()
    _empty_all_tables()
    ctx.pop()


def _empty_all_tables() -> None:
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app):
    limiter.reset()


@pytest.fixture
def client(app, db):
    """A test client whose browser asks for English (the default for visitors is Kazakh)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password=factories.PASSWORD):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make(db):
    """Builders for test data: ``make.user(...)``, ``make.unit(...)`` (see ``tests/factories.py``)."""
    return factories.Builders(db.session)


@pytest.fixture
def count_queries(db):
    """Count the SQL statements run inside a ``with count_queries() as counter:`` block."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        statements: list[str] = []

        def before(_conn, _cursor, statement, *_args):
            if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK TO|PRAGMA)", statement, re.I):
                statements.append(statement)

        event.listen(_db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(_db.engine, "before_cursor_execute", before)

    return counting


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres_only`` skip on SQLite (they test row locks SQLite lacks)."""
    on_postgres = (os.environ.get(TEST_DB_ENV) or "").startswith("postgres")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set ADAL_TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords and not on_postgres:
            item.add_marker(skip)
