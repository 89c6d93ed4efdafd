"""Command-line tools: ``flask --app app demo``, ``scheduler``, ``serve``."""

import signal
import threading

import click
from flask import Flask
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from lms.extensions import db


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(people_group)
    app.cli.add_command(outbox_group)
    app.cli.add_command(check_command)


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Seed only when the database has nobody yet.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Seed the demo university and print who can sign in."""
    from lms.demo import university

    if if_empty and not university.database_is_empty(db.session):
        click.echo("The database already has people; demo not seeded again.")
    else:
        university.seed(db.session)
        db.session.commit()
    click.echo(university.logins_text())


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler process: fires campaigns, drains the outbox, syncs assignments."""
    from flask import current_app

    from lms.scheduler import build_scheduler, run_until_stopped

    click.echo("Adal scheduler running; Ctrl+C stops it.")
    run_until_stopped(build_scheduler(current_app._get_current_object()))


@click.group("outbox")
def outbox_group() -> None:
    """The outbox of e-mails."""


@outbox_group.command("deliver")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--every", default=5.0, show_default=True, help="Seconds between runs without --once.")
@with_appcontext
def deliver_command(once: bool, every: float) -> None:
    """Send the due e-mails of the outbox (a delivery worker without the scheduler)."""
    import time

    from flask import current_app

    from lms.mail.delivery import DeliverySettings, deliver_outbox, describe_run

    settings = DeliverySettings.from_config(current_app.config)
    while True:
        report = deliver_outbox(db.session, settings)
        db.session.remove()
        if once:
            click.echo(describe_run(db.session, report))
            return
        time.sleep(every)


def served_base_url(configured: str, host: str, port: int) -> str:
    """Links on certificates and in e-mails point at this server unless ADAL_BASE_URL says otherwise."""
    import os

    return configured if os.environ.get("ADAL_BASE_URL") else f"http://{host}:{port}"


def _stop_like_ctrl_c(*_args) -> None:
    raise KeyboardInterrupt


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """The embedded run: web pages and the scheduler thread in one process."""
    from flask import current_app

    from lms.scheduler import build_scheduler

    app = current_app._get_current_object()
    app.config["ADAL_BASE_URL"] = served_base_url(app.config["ADAL_BASE_URL"], host, port)
    scheduler = build_scheduler(app)
    scheduler.start()
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)  # so the scheduler below gives its lease back
    click.echo(f"Adal is at http://{host}:{port}/ (scheduler thread running; Ctrl+C stops both).")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if threading.main_thread().is_alive():
            scheduler.shutdown(wait=False)


def terminal_language() -> str:
    """The operator's language from ``LANG`` (``kk_KZ.UTF-8``, ``ru_RU.UTF-8``), else English."""
    import os

    code = (os.environ.get("LANG") or "")[:2]
    return code if code in ("kk", "ru") else "en"


#: The operator's language for a command's messages.
language_option = click.option(
    "--language",
    type=click.Choice(["kk", "ru", "en"]),
    default=terminal_language,
    help="Language of the messages (default: from LANG, else English).",
)


@click.command("check")
@language_option
@with_appcontext
def check_command(language: str) -> None:
    """Check this configuration before it goes live; exits non-zero on any problem."""
    from flask import current_app
    from flask_babel import force_locale

    from lms.checks import run_checks

    with current_app.test_request_context(), force_locale(language):
        results = run_checks(current_app._get_current_object())
    for result in results:
        click.echo(f"{'OK     ' if result.ok else 'PROBLEM'} {result.message}")
    if not all(result.ok for result in results):
        raise SystemExit(1)


@click.group("people")
def people_group() -> None:
    """People: import students and staff from CSV or XLSX."""


@people_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Only show what would change; write nothing.")
@click.option("--only-valid", is_flag=True, help="Import the valid rows even when others are rejected.")
@language_option
@with_appcontext
def people_import_command(file: str, dry_run: bool, only_valid: bool, language: str) -> None:
    """Import people from FILE; exits non-zero when rejected rows stop the import."""
    from pathlib import Path

    from flask import current_app
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from lms.people import importing, spreadsheets

    app = current_app._get_current_object()
    # Invitation links are built with url_for, which needs a request to know the site.
    with app.test_request_context(base_url=app.config["ADAL_BASE_URL"]), force_locale(language):
        try:
            columns, body = spreadsheets.read_table(Path(file).read_bytes(), Path(file).name)
        except spreadsheets.ImportFileError as error:
            raise click.ClickException(str(error)) from error
        with click.progressbar(length=len(body), label=_("Checking rows")) as bar:
            plan = importing.plan_import(db.session, columns, body, progress=bar.update)
        for row in plan.rejected:
            reasons = "; ".join(importing.describe_reason(code, params) for code, params in row.reasons)
            click.echo(
                _("row %(number)s: %(email)s: %(reasons)s", number=row.number, email=row.email or "-", reasons=reasons),
                err=True,
            )
        counts = plan.counts
        summary = _(
            "%(create)s to create, %(update)s to update, %(unchanged)s unchanged, %(reject)s rejected", **counts
        )
        if dry_run:
            click.echo(_("Dry run: %(summary)s. Nothing written.", summary=summary))
            if plan.rejected and not only_valid:
                raise SystemExit(1)
            return
        work = counts["create"] + counts["update"]
        with click.progressbar(length=work, label=_("Importing")) as bar:
            result = importing.apply_plan(
                db.session, plan, only_valid=only_valid, filename=Path(file).name, progress=bar.update
            )
        if result is None:
            db.session.rollback()
            click.echo(
                _("Nothing imported: %(summary)s. Fix the rows above or use --only-valid.", summary=summary), err=True
            )
            raise SystemExit(1)
        db.session.commit()
        click.echo(_("Imported: %(summary)s.", summary=summary))
