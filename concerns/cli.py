"""``flask concerns rotate-key``: re-encrypt every case with the first key of ``ADAL_CASES_KEY``."""

import click
from flask import Flask
from flask.cli import AppGroup

from concerns.crypto import rotate_key
from lms.audit import trail
from lms.extensions import db

group = AppGroup("concerns", help="Reported concerns.")


@group.command("rotate-key")
def rotate_key_command() -> None:
    """Put the new key first in ADAL_CASES_KEY (new,old), run this, then drop the old key."""
    count = rotate_key(db.session)
    trail.record(db.session, "concerns.rotate_key", details={"values": count})
    db.session.commit()
    click.echo(f"Re-encrypted {count} values with the first key of ADAL_CASES_KEY; the other keys can now be removed.")


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
