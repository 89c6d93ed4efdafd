"""Scale-out on PostgreSQL: two schedulers and two delivery workers on one database, one of each
killed (``kill -9``) in the middle of a send.

What an operator relies on: every queued message arrives, each repeat is a message that was in an
SMTP transaction of a killed process (one per process at most), the surviving scheduler takes the
campaign jobs over, and nothing waits for a dead process beyond its lease.
"""

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from campaigns.lifecycle import schedule_campaign
from lms.models import OutboxMessage, OutboxStatus
from tests.campaigns.helpers import make_campaign
from tests.lms.smtp_server import SmtpBehaviour, SmtpServer
from tests.lms.test_delivery import queue, statuses
from tests.lms.test_delivery_kill import ROOT, arrivals
from tests.lms.test_leases import _holder_pid

MESSAGES = 600
PEOPLE = 5
LEASE_SECONDS = 4  #: the scheduler lease; the default (20 s) is what test_leases times

pytestmark = pytest.mark.skipif(
    not (os.environ.get("ADAL_TEST_DATABASE_URL") or "").startswith("postgres"),
    reason="several delivery workers at once need PostgreSQL (SKIP LOCKED)",
)


def _start(database_url: str, server: SmtpServer, *command: str) -> subprocess.Popen:
    environment = os.environ | {
        "ADAL_DATABASE_URL": database_url,
        "ADAL_SMTP_URL": server.url,
        "ADAL_SECRET_KEY": "test-secret",
        "ADAL_MAIL_RETRY_SECONDS": "0",
        "ADAL_MAIL_LEASE_SECONDS": "1",
        "ADAL_MAIL_BATCH": "50",
        "ADAL_LEASE_SECONDS": str(LEASE_SECONDS),
        "ADAL_QUIET_HOURS": "",  # the campaign goes now, whatever the hour the suite runs at
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", *command],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, timeout: float, what) -> None:
    """Wait for ``condition``; ``what`` (a string, or a function giving one) says what did not happen."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what() if callable(what) else what
        time.sleep(0.05)


def test_two_schedulers_and_two_workers_one_of_each_killed_mid_send(db, make, database_url):
    people = [make.user() for _ in range(PEOPLE)]
    server = SmtpServer(SmtpBehaviour(delay=0.01)).start()
    processes = []
    try:
        queue(db, MESSAGES)
        schedulers = [_start(database_url, server, "scheduler") for _ in range(2)]
        workers = [_start(database_url, server, "outbox", "deliver", "--every", "0.2") for _ in range(2)]
        processes = schedulers + workers
        _wait_for(lambda: _holder_pid(db) in {s.pid for s in schedulers}, 60, "no scheduler took the lease")
        _wait_for(lambda: len(server.received) >= MESSAGES // 4, 60, "delivery did not start")

        leader = next(s for s in schedulers if s.pid == _holder_pid(db))
        for victim in (leader, workers[0]):
            os.kill(victim.pid, signal.SIGKILL)
            victim.communicate(timeout=30)
        killed_at = time.monotonic()
        # Scheduled after the kill: only the surviving scheduler can write it.
        campaign = make_campaign(db.session)
        schedule_campaign(db.session, campaign)
        db.session.commit()
        survivor = next(s for s in schedulers if s is not leader)
        _wait_for(lambda: _holder_pid(db) == survivor.pid, 30, "the surviving scheduler did not take over")
        total = MESSAGES + len(people)
        _wait_for(lambda: statuses(db) == {OutboxStatus.SENT: total}, 90, lambda: f"not all sent: {statuses(db)}")
        assert time.monotonic() - killed_at < 60

        received = arrivals(server)
        assert set(received) == set(db.session.scalars(select(OutboxMessage.message_id)))
        repeats = sum(received.values()) - len(received)
        assert repeats <= 2, received.most_common(3)  # one transaction per killed process at most
        campaign_ids = set(
            db.session.scalars(
                select(OutboxMessage.message_id).where(OutboxMessage.campaign_step_id == campaign.steps[0].id)
            )
        )
        assert len(campaign_ids) == len(people) and all(received[i] == 1 for i in campaign_ids)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                try:
                    _out, err = process.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    _out, err = process.communicate()
                assert "Traceback" not in err, err[-3000:]
        server.stop()
