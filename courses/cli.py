"""``flask --app app courses import PATH [--publish] [--strict]`` and ``courses export SLUG PATH``."""

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from courses.models import Course
from courses.packs.answer_hints import longest_answer_problems, true_false_problems
from courses.packs.exporting import export_course
from courses.packs.importing import import_pack
from courses.packs.reading import PackInvalid
from courses.packs.validating import load_pack, load_pack_zip
from lms.extensions import db

courses_cli = AppGroup("courses", help="Course packs: import and export.")


@courses_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish the new version at once.")
@click.option("--strict", is_flag=True, help="Refuse a quiz whose correct answers are mostly the longest option.")
def import_command(path: Path, publish: bool, strict: bool) -> None:
    """Import the pack folder (or zip) PATH as a new course version (nothing is imported on any error)."""
    try:
        data = load_pack_zip(path.read_bytes()) if path.is_file() else load_pack(path)
        _check_answer_hints(data, strict)
        course = import_pack(db.session, data, publish=publish)
    except PackInvalid as exc:
        db.session.rollback()
        for error in exc.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(f"{len(exc.errors)} error(s); nothing was imported.") from None
    db.session.commit()
    click.echo(f"Imported {course.slug} version {course.version} ({course.status}).")


def _check_answer_hints(data: dict, strict: bool) -> None:
    """Warn of answers a test-taker could guess; under ``--strict`` the longest-option one is an error."""
    longest = longest_answer_problems(data)
    for problem in ([] if strict else longest) + true_false_problems(data):
        click.echo(f"Warning: {problem}", err=True)
    if strict and longest:
        raise PackInvalid(longest)


@courses_cli.command("export")
@click.argument("slug")
@click.argument("path", type=click.Path(file_okay=False))
@click.option("--version", type=int, help="The version to export (default: the latest).")
def export_command(slug: str, path: str, version: int | None) -> None:
    """Write course SLUG as a pack folder at PATH."""
    query = select(Course).where(Course.slug == slug)
    query = query.where(Course.version == version) if version else query.order_by(Course.version.desc())
    course = db.session.scalars(query.limit(1)).first()
    if course is None:
        raise click.ClickException(f"No course {slug!r}" + (f" version {version}" if version else "") + ".")
    try:
        export_course(course, path)
    except FileExistsError:
        raise click.ClickException(f"{path} exists and is not empty.") from None
    click.echo(f"Exported {slug} version {course.version} to {path}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(courses_cli)
