"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lms import create_app
from lms.extensions import db
from tests.databases import own_database


@pytest.fixture
def empty_database(tmp_path):
    with own_database("adal_migrate", tmp_path) as url:
        yield url


def test_upgrade_matches_the_models_and_downgrade_empties(empty_database, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "x", "ADAL_STORAGE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, db.metadata) == []
        downgrade(revision="base")
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert {t.name for t in db.metadata.sorted_tables} & set(conn.dialect.get_table_names(conn)) == set()
        db.engine.dispose()
