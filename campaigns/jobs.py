"""The campaign jobs the scheduler runs, and the signals campaigns listen to."""

from flask import Flask

from campaigns.due_steps import run_due_steps, stop_reminders_for
from campaigns.escalation import send_digests
from lms.database import utcnow
from lms.extensions import db
from lms.scheduler import register_job
from lms.signals import course_completed


def run_campaigns() -> None:
    """Write the messages of every step whose time has come, then the unit heads' digests."""
    now = utcnow()
    run_due_steps(db.session, now)
    send_digests(db.session, now)
    db.session.commit()


def on_course_completed(_sender, session, enrolment, **_extra) -> None:
    """A person who completes a course drops out of its reminders at once."""
    stop_reminders_for(session, enrolment.user_id, enrolment.course_slug)


def register(app: Flask) -> None:
    register_job(app, "campaigns.run", run_campaigns, seconds=30)
    course_completed.connect(on_course_completed, sender=app, weak=False)
