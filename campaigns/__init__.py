"""Awareness: campaigns, audiences, schedules, delivery of the outbox, tracking."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the campaigns blueprints, commands and scheduled jobs."""
