"""Learning: courses, modules, quizzes, enrolments, progress, attestations, certificates."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the courses blueprints, commands and scheduled jobs."""
    from courses import (
        certificates,
        models,  # noqa: F401 (tables must be known to Alembic)
        packs,
    )
    from courses import cli as courses_cli
    from lms.demo import add_demo_seeder

    courses_cli.init_app(app)
    from courses import enrolment

    enrolment.init_app(app)
    certificates.init_app(app)
    add_demo_seeder(packs.seed_bundled_packs)
