"""Reported concerns: the anonymous channel, the reporter's follow-up, the case handlers' pages."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the reporting and case pages, the case jobs and commands."""
    from concerns import models  # noqa: F401 (tables for Alembic)
