"""The scheduler process: a few periodic APScheduler jobs that pick due rows from the database.

Features register their jobs with ``register_job`` in their ``init_app``; nothing runs until
``flask scheduler`` (or the embedded run) builds the scheduler, so web workers never run jobs.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from lms.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], object]
    seconds: int


def register_job(app: Flask, job_id: str, func: Callable[[], object], seconds: int) -> None:
    """Declare a periodic job; ``func`` runs inside an app context every ``seconds``."""
    app.extensions.setdefault("adal.jobs", []).append(Job(job_id, func, seconds))


def registered_jobs(app: Flask) -> list[Job]:
    return list(app.extensions.get("adal.jobs", []))


def run_job(app: Flask, job: Job) -> None:
    """Run one job in its own app context; a failure is logged and rolled back, never fatal."""
    with app.app_context():
        try:
            job.func()
        except Exception:
            db.session.rollback()
            log.exception("scheduled job %s failed", job.id)
        finally:
            db.session.remove()


def build_scheduler(app: Flask, background: bool) -> BackgroundScheduler | BlockingScheduler:
    """A scheduler with every registered job; ``background`` for the embedded thread."""
    cls = BackgroundScheduler if background else BlockingScheduler
    scheduler = cls(timezone=app.config["ADAL_TIMEZONE"])
    for job in registered_jobs(app):
        scheduler.add_job(
            run_job,
            "interval",
            args=(app, job),
            seconds=job.seconds,
            id=job.id,
            max_instances=1,
            coalesce=True,
        )
    return scheduler
