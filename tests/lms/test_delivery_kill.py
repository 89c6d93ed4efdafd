"""``kill -9`` of a delivering process, five times in a row, at random points: at most the message in flight repeats.

Each process is a real ``flask outbox deliver`` on the test database, sending to a real aiosmtpd
server that counts arrivals per Message-ID. A kill may land anywhere: between messages, while the
server reads a message, after it accepted one and before the outbox recorded it. Only that last
case repeats a message, and only the one of the connection's current transaction.
"""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from lms.models import OutboxMessage, OutboxStatus
from tests.lms.smtp_server import SmtpBehaviour, SmtpServer
from tests.lms.test_delivery import queue, statuses

ROOT = Path(__file__).resolve().parents[2]
KILLS = 5
MESSAGES = 300
LEASE = 1.0  #: seconds: how long a dead process's claim (and SQLite lease) holds its rows


def deliver_process(database_url: str, server: SmtpServer, *args: str) -> subprocess.Popen:
    environment = os.environ | {
        "ADAL_DATABASE_URL": database_url,
        "ADAL_SMTP_URL": server.url,
        "ADAL_SECRET_KEY": "test-secret",
        "ADAL_MAIL_RETRY_SECONDS": "0",
        "ADAL_MAIL_LEASE_SECONDS": str(LEASE),
        "ADAL_MAIL_BATCH": "50",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "outbox", "deliver", *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def arrivals(server: SmtpServer) -> Counter:
    with server.lock:
        return Counter(item.message["Message-ID"] for item in server.received)


def test_five_kills_in_a_row_repeat_at_most_one_message_each_and_a_restart_delivers_the_rest(db, database_url):
    seed = random.randrange(10**6)
    chance = random.Random(seed)
    server = SmtpServer(SmtpBehaviour(delay=0.004)).start()
    try:
        queue(db, MESSAGES)
        ids = set(db.session.scalars(select(OutboxMessage.message_id)))
        for kill in range(KILLS):
            before = len(server.received)
            process = deliver_process(database_url, server, "--every", "0.2")
            target = before + chance.randint(5, 30)
            deadline = time.monotonic() + 60
            while len(server.received) < target:
                assert process.poll() is None and time.monotonic() < deadline, (seed, process.communicate())
                time.sleep(0.001)
            time.sleep(chance.uniform(0, 0.01))  # anywhere in the transaction of the next message
            os.kill(process.pid, signal.SIGKILL)
            process.communicate(timeout=30)
            assert process.returncode == -signal.SIGKILL
            repeats = sum(arrivals(server).values()) - len(arrivals(server))
            assert repeats <= kill, (seed, kill, repeats)  # the kills before this one: one each at most
            time.sleep(LEASE + 0.2)  # the dead process's claim expires
        last = deliver_process(database_url, server, "--once")
        out, err = last.communicate(timeout=120)
        assert last.returncode == 0, err
        assert statuses(db) == {OutboxStatus.SENT: MESSAGES}, (seed, out)
        received = arrivals(server)
        assert set(received) == ids  # every message arrived, each with its own Message-ID
        repeated = {message_id: n for message_id, n in received.items() if n > 1}
        assert sum(n - 1 for n in repeated.values()) <= KILLS, (seed, repeated)
    finally:
        server.stop()
