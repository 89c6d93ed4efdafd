"""`make run PORT=…` serves on that port, and every address it prints is that port's."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: How long migrating, seeding the demo and starting may take on a busy machine.
START_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "flask").exists(), reason="needs the project's .venv")
def test_make_run_serves_on_the_chosen_port_and_prints_it(tmp_path):
    port = _free_port()
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("ADAL_", "FLASK_", "MAKEFLAGS", "PORT"))
    }
    env["ADAL_DATABASE_URL"] = f"sqlite:///{tmp_path / 'adal.sqlite3'}"
    env["ADAL_STORAGE_PATH"] = str(tmp_path / "storage")
    # The installed packages and compiled catalogues are what they are: make must not reinstall them here.
    command = ["make", "--no-print-directory", "-o", ".venv/bin/.installed", "-o", "translations", "run"]
    output = tmp_path / "run.log"
    with output.open("w") as log:
        process = subprocess.Popen(
            [*command, f"PORT={port}"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while not _answers(f"http://127.0.0.1:{port}/healthz"):
                assert process.poll() is None, output.read_text()
                assert time.monotonic() < deadline, output.read_text()
                time.sleep(0.5)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    printed = output.read_text()
    assert f"Adal demo at http://127.0.0.1:{port}/ — sign in as:" in printed
    assert f"Adal is at http://127.0.0.1:{port}/ " in printed
    assert set(re.findall(r"http://127\.0\.0\.1:(\d+)", printed)) == {str(port)}
