"""The scheduler process: a few periodic APScheduler jobs that pick due rows from the database.

Features register their jobs with ``register_job`` in their ``init_app``; nothing runs until
``flask scheduler`` (or the embedded run) builds the scheduler, so web workers never run jobs.

Several schedulers may be started (two machines, a restart that overlaps the old process): of
them, the one holding the ``scheduler`` lease (``lms.leases.Heartbeat``) runs the jobs marked
``leader_only`` (campaigns, assignments, exports); the others wait and take over within
``ADAL_LEASE_SECONDS`` + a quarter of it when the holder dies. Delivery is not ``leader_only``:
on PostgreSQL every scheduler drains the outbox (``SKIP LOCKED``), on SQLite its own lease lets
one process at a time.
"""

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN, EVENT_SCHEDULER_STARTED
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from lms.database import immediate_transactions
from lms.extensions import db
from lms.leases import SCHEDULER_LEASE, Heartbeat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], object]
    seconds: int
    #: Only the scheduler holding the ``scheduler`` lease runs it.
    leader_only: bool = True


def register_job(app: Flask, job_id: str, func: Callable[[], object], seconds: int, leader_only: bool = True) -> None:
    """Declare a periodic job; ``func`` runs inside an app context every ``seconds``.

    ``leader_only=False`` for jobs that are safe in every scheduler at once (delivery).
    """
    app.extensions.setdefault("adal.jobs", []).append(Job(job_id, func, seconds, leader_only))


def registered_jobs(app: Flask) -> list[Job]:
    return list(app.extensions.get("adal.jobs", []))


def run_job(app: Flask, job: Job, heartbeat: Heartbeat | None = None) -> None:
    """Run one job in its own app context; a failure is logged and rolled back, never fatal.

    With a ``heartbeat``, a ``leader_only`` job runs only while this process holds the lease.
    On SQLite every transaction of a job begins IMMEDIATE (``lms.database``).
    """
    if job.leader_only and heartbeat is not None and not heartbeat.held:
        log.debug("job %s skipped: another scheduler holds the lease", job.id)
        return
    with app.app_context(), immediate_transactions():
        try:
            job.func()
        except Exception:
            db.session.rollback()
            log.exception("scheduled job %s failed", job.id)
        finally:
            db.session.remove()


def build_scheduler(app: Flask) -> BackgroundScheduler:
    """A scheduler (in a thread of its own) with every registered job.

    Starting it starts the heartbeat of the ``scheduler`` lease (``scheduler.adal_heartbeat``);
    shutting it down gives the lease back.
    """
    scheduler = BackgroundScheduler(timezone=app.config["ADAL_TIMEZONE"])
    jobs = registered_jobs(app)

    def run_leader_jobs_now() -> None:
        """A scheduler that just took the lease runs the campaign jobs at once, not at their next turn."""
        now = datetime.now(scheduler.timezone)
        for job in jobs:
            if job.leader_only and scheduler.get_job(job.id) is not None:
                scheduler.modify_job(job.id, next_run_time=now)

    heartbeat = Heartbeat(app, SCHEDULER_LEASE, on_acquired=run_leader_jobs_now)
    scheduler.adal_heartbeat = heartbeat
    for job in jobs:
        scheduler.add_job(
            run_job,
            "interval",
            args=(app, job, heartbeat),
            seconds=job.seconds,
            id=job.id,
            max_instances=1,
            coalesce=True,
        )

    def on_event(event) -> None:
        if event.code == EVENT_SCHEDULER_STARTED:
            heartbeat.start()
        elif event.code == EVENT_SCHEDULER_SHUTDOWN:
            heartbeat.stop()

    scheduler.add_listener(on_event, EVENT_SCHEDULER_STARTED | EVENT_SCHEDULER_SHUTDOWN)
    return scheduler


def run_until_stopped(scheduler: BackgroundScheduler) -> signal.Signals:
    """Run ``scheduler`` until SIGTERM (systemd) or SIGINT (Ctrl+C), then shut it down.

    The signals are waited for (``sigwait``), not handled: a handler that raises lands wherever the
    main thread happens to be, and APScheduler swallows even ``KeyboardInterrupt`` around a job
    submit, so a stop was sometimes lost and the process hung. Blocked before the scheduler starts,
    they stay blocked in every thread it starts. Shutting down waits for running jobs, then gives
    the lease back, so the next scheduler starts at once and never beside a job still running.
    """
    stops = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)
    scheduler.start()
    received = signal.sigwait(stops)
    log.info("%s received: the scheduler stops after its running jobs", signal.Signals(received).name)
    scheduler.shutdown(wait=True)
    return signal.Signals(received)
