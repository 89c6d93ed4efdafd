"""Draining the outbox: claim due rows, send each over one SMTP connection, record each outcome at once.

A kill at any instant repeats at most the one message in flight per connection (with its
Message-ID); an unreachable mail server is an outage the outbox waits out, not a failure of the
messages. One module per step, each saying how and why in its docstring:

- ``settings``: ``DeliverySettings`` (the ``ADAL_MAIL_*`` settings of ``lms.config``) and the run's ``DeliveryReport``;
- ``message``: building a row's e-mail (``build_message``, ``message_for_row``);
- ``smtp``: the connection (``SmtpTransport``) and what counts as the server's state or the message's fault;
- ``claims``: claiming due rows (``claim_due``) and taking back a crashed run's;
- ``outcomes``: recording each message's outcome, the claims' extensions and the server's outages (``Run``);
- ``sending``: the run itself (``deliver_outbox``) and what the operator is told (``describe_run``).

The names the rest of Adal uses are importable from here.
"""

from flask import Flask, current_app

from lms.mail.delivery.claims import claim_due
from lms.mail.delivery.message import Envelope, InvalidMessage, build_message, clean_header_value, message_for_row
from lms.mail.delivery.sending import deliver_outbox, describe_run
from lms.mail.delivery.settings import DeliveryReport, DeliverySettings
from lms.mail.delivery.smtp import ServerUnavailable, SmtpTransport

__all__ = [
    "DeliveryReport",
    "DeliverySettings",
    "Envelope",
    "InvalidMessage",
    "ServerUnavailable",
    "SmtpTransport",
    "build_message",
    "claim_due",
    "clean_header_value",
    "deliver_outbox",
    "describe_run",
    "init_app",
    "message_for_row",
    "run_delivery_job",
]


def run_delivery_job() -> DeliveryReport:
    """The scheduler job: drain what is due now."""
    from lms.extensions import db

    return deliver_outbox(db.session, DeliverySettings.from_config(current_app.config))


def init_app(app: Flask) -> None:
    """Drain the outbox every few seconds in the scheduler process."""
    from lms.scheduler import register_job

    register_job(app, "outbox.deliver", run_delivery_job, seconds=5, leader_only=False)
