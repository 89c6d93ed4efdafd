"""Leases: short, renewed by a heartbeat, taken over when their holder dies; one scheduler runs the jobs."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from campaigns.lifecycle import schedule_campaign
from lms.database import utcnow
from lms.leases import (
    SCHEDULER_LEASE,
    Heartbeat,
    acquire_lease,
    lease_status,
    release_lease,
    scheduler_heartbeat_age,
)
from lms.models import OutboxMessage
from lms.scheduler import Job, registered_jobs, run_job
from tests.campaigns.helpers import make_campaign

ROOT = Path(__file__).resolve().parents[2]


def test_a_lease_is_refused_while_valid_and_taken_once_expired(db):
    now = utcnow()
    assert acquire_lease(db.session, "job", "a", 20, now)
    assert not acquire_lease(db.session, "job", "b", 20, now + timedelta(seconds=10))
    assert acquire_lease(db.session, "job", "a", 20, now + timedelta(seconds=10))  # renewed
    assert not acquire_lease(db.session, "job", "b", 20, now + timedelta(seconds=29))
    assert acquire_lease(db.session, "job", "b", 20, now + timedelta(seconds=31))  # a stopped renewing
    status = lease_status(db.session, "job")
    assert status.holder == "b"
    assert status.renewed_at == now + timedelta(seconds=31)
    assert status.expires_at == now + timedelta(seconds=51)


def test_a_released_lease_is_free_at_once(db):
    assert acquire_lease(db.session, "job", "a", 20)
    release_lease(db.session, "job", "a")
    assert not lease_status(db.session, "job").valid()
    assert acquire_lease(db.session, "job", "b", 20)


def test_heartbeat_age_is_none_until_a_scheduler_ran_then_grows(db):
    assert scheduler_heartbeat_age(db.session) is None
    now = utcnow()
    acquire_lease(db.session, SCHEDULER_LEASE, "a", 20, now)
    assert scheduler_heartbeat_age(db.session, now + timedelta(seconds=7)) == 7.0


def test_of_two_heartbeats_one_holds_and_the_other_takes_over_when_it_stops(app, db):
    taken = []
    first = Heartbeat(app, "test", seconds=2, on_acquired=lambda: taken.append("first"))
    second = Heartbeat(app, "test", seconds=2, on_acquired=lambda: taken.append("second"))
    assert first.beat() and first.held
    assert not second.beat() and not second.held
    first.start()
    second.start()
    try:
        time.sleep(2.5)  # several renewals: the lease never changed hands
        assert first.held and not second.held
        assert lease_status(db.session, "test").holder == first.holder
        first.stop()  # gives the lease back
        deadline = time.monotonic() + 5
        while not second.held:
            assert time.monotonic() < deadline, "not taken over"
            time.sleep(0.05)
        assert taken == ["first", "second"]
    finally:
        first.stop()
        second.stop()


def test_leader_jobs_wait_for_the_lease_but_delivery_runs_in_every_scheduler(app, db):
    ran = []
    job = Job("test.job", lambda: ran.append(1), seconds=60)
    other = Heartbeat(app, SCHEDULER_LEASE, seconds=20)
    mine = Heartbeat(app, SCHEDULER_LEASE, seconds=20)
    assert other.beat() and not mine.beat()
    run_job(app, job, mine)
    assert ran == []
    release_lease(db.session, SCHEDULER_LEASE, other.holder)
    assert mine.beat()
    run_job(app, job, mine)
    assert ran == [1]
    jobs = {j.id: j for j in registered_jobs(app)}
    assert not jobs["outbox.deliver"].leader_only
    assert jobs["campaigns.run"].leader_only and jobs["courses.sync_assignments"].leader_only


# --- real processes ------------------------------------------------------------------------


def _scheduler(database_url: str) -> subprocess.Popen:
    environment = os.environ | {"ADAL_DATABASE_URL": database_url, "ADAL_SECRET_KEY": "test-secret"}
    environment.pop("ADAL_LEASE_SECONDS", None)  # the default a deployment has
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "scheduler"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _holder_pid(db) -> int | None:
    db.session.rollback()
    status = lease_status(db.session, SCHEDULER_LEASE)
    return int(status.holder.split(":")[1]) if status is not None and status.valid() else None


def _wait_for(condition, timeout: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.1)
    return time.monotonic() - started


def test_a_killed_scheduler_is_taken_over_within_30_seconds(db, database_url, make):
    make.user()
    first = _scheduler(database_url)
    second = None
    try:
        _wait_for(lambda: _holder_pid(db) == first.pid, 30)
        second = _scheduler(database_url)
        time.sleep(3)  # the second is up and waiting
        assert _holder_pid(db) == first.pid
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=10)
        campaign = make_campaign(db.session)  # scheduled after the kill: only the survivor can send it
        schedule_campaign(db.session, campaign)
        db.session.commit()
        took = _wait_for(lambda: db.session.scalar(select(func.count(OutboxMessage.id))) == 1, 40)
        assert took < 30, f"the campaign waited {took:.1f} s"
        assert _holder_pid(db) == second.pid
        assert scheduler_heartbeat_age(db.session) < 10
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    _out, err = process.communicate(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    _out, err = process.communicate()
                assert "database is locked" not in err


def test_a_stopped_scheduler_gives_its_lease_back_at_once(db, database_url):
    process = _scheduler(database_url)
    try:
        _wait_for(lambda: _holder_pid(db) == process.pid, 30)
    finally:
        process.terminate()  # what systemd does
        try:
            _out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # a hung scheduler would go on holding the lease for the next tests
            _out, err = process.communicate()
            pytest.fail(f"SIGTERM did not stop the scheduler:\n{err[-3000:]}")
    assert process.returncode == 0, err
    db.session.rollback()
    assert not lease_status(db.session, SCHEDULER_LEASE).valid()  # the next scheduler need not wait
