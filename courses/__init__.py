"""Learning: courses, modules, quizzes, enrolments, progress, attestations, certificates."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the courses blueprints, commands and scheduled jobs."""
    from courses import models  # noqa: F401 (tables must be known to Alembic)
