"""A course version as Adal keeps it: where its attachments lie, and its settings in stored units.

Importing and exporting both need these, each in its own direction; they live here so that
neither of the two depends on the other (and checking a course version, which exports it,
depends on no import).
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from courses.content import course_files_dir
from courses.models import Course


def files_dir(course: Course) -> Path:
    """Where a course version's attachments are kept (``files/…`` of its pack; served to learners)."""
    return course_files_dir(current_app.config["ADAL_STORAGE_PATH"], course.id)


def stored_settings(module: dict) -> dict:
    """Pack settings → stored settings (minutes and seconds renamed as the model documents)."""
    settings = dict(module.get("settings", {}))
    if "time_limit_minutes" in settings:
        settings["time_limit_s"] = settings.pop("time_limit_minutes") * 60
    if "min_reading_seconds" in settings:
        settings["min_reading_s"] = settings.pop("min_reading_seconds")
    return settings


def pack_settings(settings: dict) -> dict:
    """Stored settings → the pack's (and the authoring form's) units: minutes and seconds."""
    settings = dict(settings)
    if "time_limit_s" in settings:
        settings["time_limit_minutes"] = max(1, round(settings.pop("time_limit_s") / 60))
    if "min_reading_s" in settings:
        settings["min_reading_seconds"] = settings.pop("min_reading_s")
    return settings
