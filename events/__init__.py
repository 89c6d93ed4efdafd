"""Seminars and events: sessions, registration with a waiting list, tickets, reminders, attendance."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the event pages, jobs and audit sentences."""
    from events import models  # noqa: F401 (tables for Alembic)
    from events import attendance  # the door's check-in, courses' seminar steps, attendance (helper "checkin")

    attendance.init_app(app)
