"""Command-line tools: ``flask --app app demo``, ``scheduler``, ``serve``."""

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


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Seed only when the database has nobody yet.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Seed the demo university and print who can sign in."""
    from lms import demo

    if if_empty and not demo.database_is_empty(db.session):
        click.echo("The database already has people; demo not seeded again.")
    else:
        demo.seed(db.session)
        db.session.commit()
    click.echo(demo.logins_text())


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduler process: fires campaigns, drains the outbox, syncs assignments."""
    from flask import current_app

    from lms.scheduler import build_scheduler

    app = current_app._get_current_object()
    click.echo("Adal scheduler running; Ctrl+C stops it.")
    build_scheduler(app, background=False).start()


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """The embedded run: web pages and the scheduler thread in one process."""
    from flask import current_app

    from lms.scheduler import build_scheduler

    app = current_app._get_current_object()
    scheduler = build_scheduler(app, background=True)
    scheduler.start()
    click.echo(f"Adal is at http://{host}:{port}/ (scheduler thread running; Ctrl+C stops both).")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        if threading.main_thread().is_alive():
            scheduler.shutdown(wait=False)
