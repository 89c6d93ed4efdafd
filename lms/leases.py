"""Leases: which process runs a job now, and whether that process is still alive.

A lease is a ``SchedulerLease`` row: a name, its holder (host, process id, a random part), when it
expires and when the holder last renewed it. A holder renews its lease long before it expires;
a process that dies (``kill -9``, a lost machine) stops renewing, and once the lease has expired
another process takes it. Leases are therefore short: ``ADAL_LEASE_SECONDS``, 20 s by default,
renewed every quarter of that, so a crashed scheduler is taken over in at most 25 seconds (20 s
for its lease to run out, 5 s until a waiting scheduler tries again), within the 30 s promised.

The scheduler's lease (``scheduler``) is renewed by a heartbeat thread (``Heartbeat``), not inside
every job: jobs differ in length (a campaign to 20,000 people, a zip of certificates) and each
would need renewals in each of its loops, which the next job written would forget; a thread
renews on time whatever the jobs do, and its renewals are what the health page reads as the
scheduler's liveness (``scheduler_heartbeat_age``). A job asks ``Heartbeat.held`` before it
starts, so of several schedulers only the holder starts campaign jobs. Delivery keeps its own
``outbox`` lease on SQLite, taken per run and renewed at each of the run's checkpoints (the run
itself is the loop that must prove it is alive); on PostgreSQL several processes deliver at once
(``SKIP LOCKED``).

Expiry compares the wall clocks of the processes, so hosts sharing a database keep NTP time.
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from lms.config import DEFAULT_LEASE_SECONDS
from lms.database import as_utc, utcnow
from lms.models import SchedulerLease

log = logging.getLogger(__name__)

#: The lease of the scheduler that runs the campaign jobs.
SCHEDULER_LEASE = "scheduler"


def lease_seconds(config) -> float:
    """How long a lease lasts without renewal (``ADAL_LEASE_SECONDS``, read by ``lms.config``)."""
    value = config.get("ADAL_LEASE_SECONDS")
    return DEFAULT_LEASE_SECONDS if value in (None, "") else float(value)


def holder_name() -> str:
    """A name no other process (nor this one's next start) shares: host, process id, random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire_lease(session: Session, name: str, holder: str, seconds: float, now: datetime | None = None) -> bool:
    """Take or renew the lease ``name`` for ``seconds``; False while another holder's is valid. Commits."""
    now = now or utcnow()
    expires = now + timedelta(seconds=seconds)
    taken = session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at <= now),
        )
        .values(holder=holder, expires_at=expires, renewed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        try:
            session.add(SchedulerLease(name=name, holder=holder, expires_at=expires, renewed_at=now))
            session.flush()
            taken = 1
        except IntegrityError:
            session.rollback()
            return False
    session.commit()
    return bool(taken)


def release_lease(session: Session, name: str, holder: str) -> None:
    """Give the lease back at once, so the next process need not wait for it to expire. Commits."""
    session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=utcnow() - timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )
    session.commit()


@dataclass(frozen=True)
class LeaseStatus:
    """Who holds a lease, when they last renewed it, and until when it is theirs."""

    holder: str
    renewed_at: datetime | None
    expires_at: datetime

    def valid(self, now: datetime | None = None) -> bool:
        return self.expires_at > (now or utcnow())


def lease_status(session: Session, name: str) -> LeaseStatus | None:
    """The lease ``name`` as it stands (``None``: nobody ever took it), for the health page."""
    row = session.execute(
        select(SchedulerLease.holder, SchedulerLease.renewed_at, SchedulerLease.expires_at).where(
            SchedulerLease.name == name
        )
    ).first()
    if row is None:
        return None
    return LeaseStatus(row.holder, as_utc(row.renewed_at), as_utc(row.expires_at))


def scheduler_heartbeat_age(session: Session, now: datetime | None = None) -> float | None:
    """Seconds since a scheduler last renewed its lease (``None``: no scheduler ever ran).

    A running scheduler renews every quarter of ``ADAL_LEASE_SECONDS``; an age above the lease
    means no scheduler runs the campaign jobs now.
    """
    status = lease_status(session, SCHEDULER_LEASE)
    if status is None or status.renewed_at is None:
        return None
    return max(0.0, ((now or utcnow()) - status.renewed_at).total_seconds())


class Heartbeat:
    """A thread that takes a lease and keeps renewing it; waits for it while another holds it.

    ``on_acquired`` runs (in the thread) each time the lease becomes this process's, so a
    scheduler taking over starts the jobs at once instead of at their next interval.
    """

    def __init__(
        self,
        app: Flask,
        name: str = SCHEDULER_LEASE,
        seconds: float | None = None,
        on_acquired: Callable[[], object] | None = None,
    ):
        self.app = app
        self.name = name
        self.seconds = seconds or lease_seconds(app.config)
        self.interval = self.seconds / 4
        self.holder = holder_name()
        self.on_acquired = on_acquired
        self._held_until = 0.0  #: monotonic time until which the lease is surely ours
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def held(self) -> bool:
        """True while this process holds the lease (with a second to spare for clock drift)."""
        return time.monotonic() < self._held_until - 1.0

    def beat(self) -> bool:
        """One attempt to take or renew the lease; True when it is ours."""
        from lms.database import immediate_transactions
        from lms.extensions import db

        had = self.held
        started = time.monotonic()
        try:
            with self.app.app_context(), immediate_transactions(), Session(db.engine) as session:
                taken = acquire_lease(session, self.name, self.holder, self.seconds)
        except SQLAlchemyError as error:
            log.warning("lease %s not renewed (%s); trying again in %.0f s", self.name, error, self.interval)
            return self.held
        self._held_until = started + self.seconds if taken else 0.0
        if taken and not had:
            log.info("lease %s taken by %s", self.name, self.holder)
            if self.on_acquired is not None:
                self.on_acquired()
        elif had and not taken:
            log.warning("lease %s lost: another process holds it", self.name)
        return taken

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat()
            self._stop.wait(self.interval)

    def start(self) -> "Heartbeat":
        self._thread = threading.Thread(target=self._run, name=f"adal-lease-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop renewing and give the lease back, so another process takes over at once."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.interval + 5)
        if self._held_until:
            from lms.extensions import db

            try:
                with self.app.app_context(), Session(db.engine) as session:
                    release_lease(session, self.name, self.holder)
            except SQLAlchemyError as error:
                log.warning("lease %s not released (%s); it expires by itself", self.name, error)
        self._held_until = 0.0
