"""Production as an administrator runs it: the ``deploy/`` command lines, and a database outage."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask import g

from lms import create_app
from lms.extensions import db as _db
from lms.extensions import limiter
from tests import factories
from tests.lms.smtp_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def _environment(database_url: str, **extra: str) -> dict:
    return os.environ | {"ADAL_DATABASE_URL": database_url, "ADAL_SECRET_KEY": "test-secret" * 4} | extra


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert process.poll() is None, process.communicate()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail("the server did not start")


def _stop(process: subprocess.Popen) -> tuple[int, str, str]:
    """SIGTERM, as systemd stops a service: the exit code, the output and the errors."""
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def test_gunicorn_with_the_deploy_config_serves_and_stops_cleanly_on_sigterm(db, database_url):
    port = free_port()
    workers = "2" if database_url.startswith("postgresql") else "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=_environment(database_url, ADAL_WEB_BIND=f"127.0.0.1:{port}", ADAL_WEB_WORKERS=workers),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_port(port, process)
        assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        status, page = _get(f"http://127.0.0.1:{port}/login")
        assert status == 200 and 'name="password"' in page
    finally:
        code, out, err = _stop(process)
    assert code == 0, err
    assert "Traceback" not in err
    [logged] = [line for line in out.splitlines() if '"GET /login HTTP/1.1" 200' in line]  # the access log
    assert logged.endswith("ms")  # with the time the request took


def test_several_gunicorn_workers_on_sqlite_warn_at_start(db, tmp_path):
    port = free_port()
    database_url = f"sqlite:///{tmp_path / 'adal.sqlite3'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=_environment(database_url, ADAL_WEB_BIND=f"127.0.0.1:{port}", ADAL_WEB_WORKERS="2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_port(port, process)
        time.sleep(2)  # both workers have built their app
    finally:
        code, _out, err = _stop(process)
    assert code == 0, err
    assert "WARNING lms.checks: 2 gunicorn workers (ADAL_WEB_WORKERS) share one SQLite file" in err


def test_the_scheduler_process_starts_and_stops_cleanly_on_sigterm(db, database_url):
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "scheduler"],
        cwd=ROOT,
        env=_environment(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    assert process.poll() is None, process.communicate()
    code, _out, err = _stop(process)
    assert code == 0, err
    assert "Traceback" not in err


# --- the database goes away and comes back ----------------------------------------------------


class TcpForwarder:
    """A loopback port forwarding to the database, which the test can cut and restore."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []

    def start(self) -> "TcpForwarder":
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen()
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Refuse new connections and cut the open ones, as a database that went down."""
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept(); a close alone would not on Linux
        self.listener.close()
        for conn in self.connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def outage(database_url, tmp_path, db):
    """An app of its own whose database the test can take away (``down``) and give back (``up``)."""
    saved_limiter = limiter._storage, limiter._limiter  # create_app points the one limiter at its storage
    if database_url.startswith("postgresql"):
        forwarder = TcpForwarder(("127.0.0.1", 5432)).start()
        prefix, _sep, rest = database_url.partition("@127.0.0.1:5432")
        url = f"{prefix}@127.0.0.1:{forwarder.port}{rest}"
        down, up = forwarder.stop, forwarder.start
    else:
        folder = tmp_path / "database"
        folder.mkdir()
        url = f"sqlite:///{folder / 'adal.sqlite3'}"

        def down():
            folder.rename(tmp_path / "away")
            with app.app_context():
                _db.engine.dispose()  # SQLite keeps reading a moved file through open handles

        def up():
            (tmp_path / "away").rename(folder)

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "BABEL_DEFAULT_LOCALE": "en",
        }
    )

    @app.before_request
    def _fresh_g_as_in_production():
        for key in list(vars(g)):
            delattr(g, key)

    with app.app_context():
        if url.startswith("sqlite"):
            _db.create_all()
        user = factories.Builders(_db.session).user(email="outage@metu.kz")
        _db.session.commit()
        person = (user.email, user.full_name)
    yield app, down, up, person
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
    limiter._storage, limiter._limiter = saved_limiter
    if database_url.startswith("postgresql"):
        forwarder.stop()
    else:
        shutil.rmtree(tmp_path / "database", ignore_errors=True)


def test_while_the_database_is_unreachable_people_get_a_503_page_and_the_same_process_recovers(outage):
    app, down, up, (email, full_name) = outage
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD}).status_code == 302
    assert client.get("/profile").status_code == 200

    down()
    response = client.get("/profile")  # a signed-in person: loading them needs the database
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Adal cannot reach its database right now." in response.get_data(as_text=True)
    assert client.get("/login").status_code == 503
    assert client.get("/healthz").status_code == 200  # the process itself is alive

    up()
    response = client.get("/profile")
    assert response.status_code == 200
    assert full_name in response.get_data(as_text=True)


def test_workers_starting_together_create_one_secret_key_readable_by_its_owner_only(tmp_path, monkeypatch):
    """gunicorn's workers start at once on a new machine: they must all sign with the same key."""
    from lms.config import load_config

    for setting in ("ADAL_SECRET_KEY", "ADAL_TOTP_KEY", "ADAL_CASES_KEY", "ADAL_CASES_KEY_FILE"):
        monkeypatch.delenv(setting, raising=False)

    instance = tmp_path / "instance"
    start = threading.Barrier(8)
    keys = []

    def worker():
        start.wait()
        keys.append(load_config(str(instance), {"SQLALCHEMY_DATABASE_URI": "sqlite://"})["SECRET_KEY"])

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1 and len(keys[0]) == 64
    assert (instance / "secret_key").read_text() == keys[0]
    assert sorted(p.name for p in instance.iterdir()) == ["cases_key", "secret_key", "totp_key"]  # no leftovers
    for name in ("secret_key", "totp_key", "cases_key"):
        assert (instance / name).stat().st_mode & 0o777 == 0o600
