"""Importing a checked pack as a new course version, and seeding the bundled courses.

Importing happens in the caller's transaction and only after a clean check, so a broken pack
leaves nothing behind; a version is never overwritten, only followed by a higher one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from courses.models import Course, CourseStatus, Module, Question
from courses.packs.reading import PackError, PackInvalid
from courses.packs.stored import files_dir, stored_settings
from courses.packs.validating import load_pack
from lms.i18n import gettext_if_request as _


def latest_version(session: Session, slug: str) -> int:
    """The highest version of ``slug`` in the database, 0 when there is none."""
    return session.scalar(select(func.max(Course.version)).where(Course.slug == slug)) or 0


def import_pack(session: Session, data: dict, publish: bool = False) -> Course:
    """Add the pack as a new version of its course (flushes; the caller commits).

    Refuses a pack whose version is not higher than the latest one already here.
    """
    latest = latest_version(session, data["slug"])
    if data["version"] <= latest:
        raise PackInvalid(
            [
                PackError(
                    "course.yaml",
                    None,
                    _(
                        "version %(version)d is not higher than version %(latest)d of “%(slug)s” already in Adal",
                        version=data["version"],
                        latest=latest,
                        slug=data["slug"],
                    ),
                )
            ]
        )
    course = Course(
        slug=data["slug"],
        version=data["version"],
        status=CourseStatus.DRAFT,
        default_locale=data["default_locale"],
        title=data["title"],
        description=data.get("description", {}),
        pass_mark=data["pass_mark"],
        validity_months=data.get("validity_months"),
        remedial_after_failures=data.get("remedial_after_failures"),
        audience_hint=data["audience"],
    )
    for position, item in enumerate(data["modules"]):
        module = Module(
            key=item["key"],
            kind=item["kind"],
            position=position,
            title=item["title"],
            body=item.get("body", {}),
            required=item.get("required", True),
            settings=stored_settings(item),
        )
        for number, question in enumerate(item.get("questions", [])):
            module.questions.append(
                Question(
                    key=question["key"],
                    pool=question["pool"],
                    position=number,
                    kind=question["kind"],
                    text=question["text"],
                    options=question["options"],
                    answer=question["answer"],
                    explanation=question["explanation"],
                    points=question["points"],
                )
            )
        course.modules.append(module)
    if publish:
        course.publish()
    session.add(course)
    session.flush()
    store_files(course, data.get("files", {}))
    return course


def store_files(course: Course, files: dict[str, bytes]) -> None:
    """Make ``files`` (``files/…`` paths) the attachments of a new course version, and nothing else.

    A folder left by a rolled-back import whose id SQLite hands out again is cleared first.
    """
    target = files_dir(course)
    if target.exists():
        shutil.rmtree(target)
    for name, content in files.items():
        path = target / name.removeprefix("files/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def bundled_pack_folders() -> list[Path]:
    """The folders of ``courses/bundled/`` that hold a course (a ``course.yaml``)."""
    root = Path(__file__).resolve().parent.parent / "bundled"
    return sorted(p for p in root.iterdir() if (p / "course.yaml").is_file())


def seed_bundled_packs(session: Session) -> list[Course]:
    """Import and publish every bundled pack (the demo); a broken one fails loudly."""
    return [import_pack(session, load_pack(folder, strict=True), publish=True) for folder in bundled_pack_folders()]
