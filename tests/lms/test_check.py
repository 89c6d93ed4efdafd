"""``flask --app app check``: each misconfiguration is named, a correct configuration passes."""

import os
import subprocess
import sys
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import text

from lms import checks, create_app
from lms.extensions import db as _db
from lms.extensions import limiter
from tests.lms.smtp_server import SmtpServer, free_port

GOOD_SECRET = "a" * 64
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def production(monkeypatch, database_url, tmp_path, smtp, db):
    """The environment of a correct deployment, on the test database stamped at the migrations' head."""
    environment = {
        "ADAL_SECRET_KEY": GOOD_SECRET,
        "ADAL_TOTP_KEY": "b" * 64,
        "ADAL_CASES_KEY": "c" * 64,
        "ADAL_BASE_URL": "https://adal.example.edu",
        "ADAL_DATABASE_URL": database_url,
        "ADAL_REDIS_URL": "redis://127.0.0.1:6379/0",
        "ADAL_SMTP_URL": smtp.url,
        "ADAL_STORAGE_PATH": str(tmp_path / "storage"),
        "ADAL_WEB_WORKERS": "2" if database_url.startswith("postgresql") else "1",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    # Each create_app points the one limiter object at its storage: give the test app's back after.
    saved_limiter = limiter._storage, limiter._limiter
    with create_app().app_context():
        flask_migrate.stamp()
        _db.engine.dispose()
    yield environment
    limiter._storage, limiter._limiter = saved_limiter
    with _db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def problems(**overrides) -> list[str]:
    """The messages of the failed checks, under the current environment plus config ``overrides``."""
    app = create_app({"BABEL_DEFAULT_LOCALE": "en", **overrides})
    with app.app_context(), app.test_request_context():
        found = [result.message for result in checks.run_checks(app) if not result.ok]
        _db.session.remove()
        _db.engine.dispose()  # this app's pool, not the test app's
    return found


def flask_check(environment: dict) -> subprocess.CompletedProcess:
    """The command as an administrator runs it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "check", "--language", "en"],
        cwd=ROOT,
        env=os.environ | environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_correct_configuration_passes(production):
    assert problems() == []
    result = flask_check(production)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("OK ") == len(checks.CHECKS) and "PROBLEM" not in result.stdout


def test_the_command_prints_each_problem_and_exits_non_zero(production):
    result = flask_check(production | {"ADAL_BASE_URL": "http://adal.example.edu"})
    assert result.returncode == 1
    assert "PROBLEM ADAL_BASE_URL is http://adal.example.edu: it must start with https://." in result.stdout
    assert "OK      The mail server answers." in result.stdout


def test_the_generated_development_key_is_a_problem(production, monkeypatch):
    monkeypatch.delenv("ADAL_SECRET_KEY")
    assert problems() == ["The secret key is the generated development one: set ADAL_SECRET_KEY."]


def test_the_generated_key_of_the_second_factors_is_a_problem(production, monkeypatch):
    monkeypatch.delenv("ADAL_TOTP_KEY")
    assert problems() == ["The second factors' key is the generated development one: set ADAL_TOTP_KEY."]


def test_the_cases_key_comes_from_the_environment_or_a_key_file(production, monkeypatch, tmp_path):
    """Reported concerns (issue 13): a generated key is a problem, a key file of new and old keys is not."""
    monkeypatch.delenv("ADAL_CASES_KEY")
    assert problems() == ["The reported concerns' key is the generated development one: set ADAL_CASES_KEY."]
    key_file = tmp_path / "cases.key"
    key_file.write_text("n" * 64 + "\n" + "o" * 64 + "\n")
    monkeypatch.setenv("ADAL_CASES_KEY_FILE", str(key_file))
    assert problems() == []
    assert create_app().config["ADAL_CASES_KEY"] == "n" * 64 + "," + "o" * 64


def test_a_short_secret_key_is_a_problem(production, monkeypatch):
    monkeypatch.setenv("ADAL_SECRET_KEY", "short")
    assert problems() == ["ADAL_SECRET_KEY is too short: use at least 32 characters."]


def test_plain_http_is_a_problem_for_the_address_and_the_cookies(production, monkeypatch):
    monkeypatch.setenv("ADAL_BASE_URL", "http://adal.example.edu")
    assert problems() == [
        "ADAL_BASE_URL is http://adal.example.edu: it must start with https://.",
        "Cookies are sent over plain HTTP: they become secure with an https ADAL_BASE_URL.",
    ]


def test_insecure_cookies_are_a_problem_even_on_https(production):
    assert problems(REMEMBER_COOKIE_SECURE=False) == [
        "Cookies are sent over plain HTTP: they become secure with an https ADAL_BASE_URL."
    ]


def test_several_web_workers_on_sqlite_are_a_problem(production, monkeypatch, tmp_path):
    monkeypatch.setenv("ADAL_WEB_WORKERS", "3")
    monkeypatch.setenv("ADAL_DATABASE_URL", f"sqlite:///{tmp_path / 'adal.sqlite3'}")
    found = problems()
    assert (
        "3 web workers (ADAL_WEB_WORKERS) share one SQLite file: use PostgreSQL (ADAL_DATABASE_URL) or one worker."
        in found
    )


def test_rate_limits_in_memory_are_a_problem(production, monkeypatch):
    monkeypatch.delenv("ADAL_REDIS_URL")
    assert problems() == ["Rate limits are kept in each process's memory: set ADAL_REDIS_URL."]


def test_an_unreachable_redis_is_a_problem(production, monkeypatch):
    monkeypatch.setenv("ADAL_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    assert problems() == ["The rate-limit storage (ADAL_REDIS_URL) does not answer."]


def test_an_unreachable_mail_server_is_a_problem(production, monkeypatch):
    port = free_port()
    monkeypatch.setenv("ADAL_SMTP_URL", f"smtp://127.0.0.1:{port}")
    [problem] = problems()
    assert problem.startswith(f"The mail server does not answer: cannot connect to 127.0.0.1:{port}")


def test_no_mail_server_is_a_problem(production, monkeypatch):
    monkeypatch.delenv("ADAL_SMTP_URL")
    assert problems() == ["ADAL_SMTP_URL is not set: no e-mail would be sent."]


def test_a_schema_behind_the_code_is_a_problem(production):
    with _db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'an_older_revision'"))
    assert problems() == ["The database schema is behind the code: run flask --app app db upgrade."]


def test_a_database_never_migrated_is_a_problem(production):
    with _db.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    assert problems() == ["The database records no schema revision: run flask --app app db upgrade."]


def test_storage_that_cannot_be_written_is_a_problem(production, monkeypatch, tmp_path):
    (tmp_path / "a-file").write_text("")
    storage = tmp_path / "a-file" / "storage"  # no folder can be made here, not even by root
    monkeypatch.setenv("ADAL_STORAGE_PATH", str(storage))
    assert problems() == [f"The storage folder {storage} (ADAL_STORAGE_PATH) is not writable."]
