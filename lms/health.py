"""Health: whether the process answers, whether Adal is ready to do its work, and its figures.

Three URLs for machines and one page for the office:

- ``/healthz``: the process answers. It touches no database, so a load balancer or a liveness
  probe pointed at it never restarts a web process because the database is slow.
- ``/readyz``: the database answers, its schema is the code's, a scheduler is alive, and how
  the outbox stands. 200 when ready, 503 when not. A backlog, old queued mail, failures and an
  unreachable mail server are reported but never make Adal "not ready": the pages work, and a
  growing backlog is what a monitor alerts on from the figures. A stopped scheduler does, since
  no campaign, reminder or e-mail goes out without one; so point a load balancer at ``/healthz``,
  a monitor at ``/readyz``.
- ``/metrics``: the same figures in Prometheus' text format, read from the database at scrape
  time (every gunicorn worker answers the same), for loopback or a bearer token only.
- ``/office/status``: the readiness figures in words, for the university-wide office.

``/healthz`` and ``/readyz`` need no sign-in, so they say counts, ages and states only: no
address, host name, error text or revision.

Each figure is one small query in a plain function, so the page, the JSON and the metrics read
the same numbers.
"""

import hmac
import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, abort, current_app, jsonify, render_template, request
from flask_babel import format_timedelta
from flask_babel import lazy_gettext as _l
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from sqlalchemy import case, func, inspect, literal_column, or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lms.database import as_utc, utcnow
from lms.extensions import db
from lms.leases import lease_seconds, scheduler_heartbeat_age
from lms.mail.server_status import WAITING, server_state
from lms.models import OutboxMessage, OutboxStatus
from lms.permissions import OFFICE_ROLES, require_role, university_wide

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

#: A scheduler renews its lease every quarter of ``ADAL_LEASE_SECONDS``; three whole leases
#: without a renewal (60 s by default) is no hiccup but a scheduler that is gone.
HEARTBEAT_LEASES = 3
FAILURE_WINDOW = timedelta(hours=24)


class Schema:
    """How the database's migration stands against the code's (``alembic_version``)."""

    AT_HEAD = "at_head"
    #: The database records another revision: ``flask db upgrade`` was not run after an update.
    BEHIND = "behind"
    #: No ``alembic_version`` table: a database built by ``create_all`` (the test suite) records
    #: no revision to compare. ``make run`` and every deployment run ``flask db upgrade``, which
    #: writes one, so this is reported but does not make Adal unready.
    UNKNOWN = "unknown"


class Scheduler:
    RUNNING = "running"
    STOPPED = "stopped"
    NEVER_RAN = "never_ran"


# --- the figures, one query each ----------------------------------------------------------------


def database_answers(session: Session) -> bool:
    """True when the database runs a trivial query; a refused connection or a timeout is False."""
    try:
        session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as error:
        session.rollback()
        log.warning("readiness: the database does not answer (%s)", error.__class__.__name__)
        return False


@cache
def migration_heads(directory: str) -> frozenset[str]:
    """The revisions the code's migrations end at; read once, as the code does not change while it runs."""
    return frozenset(ScriptDirectory(directory).get_heads())


def recorded_revisions(session: Session) -> frozenset[str] | None:
    """The revisions ``alembic_version`` records; None when the database has no such table."""
    connection = session.connection()
    if not inspect(connection).has_table("alembic_version"):
        return None
    return frozenset(session.scalars(text("SELECT version_num FROM alembic_version")))


def schema_state(session: Session, heads: frozenset[str]) -> str:
    """``Schema.AT_HEAD`` when the database records exactly the code's head revisions."""
    recorded = recorded_revisions(session)
    if recorded is None:
        return Schema.UNKNOWN
    return Schema.AT_HEAD if recorded == heads else Schema.BEHIND


def _waiting_since():
    """When a waiting message started to wait, as a SQL expression.

    A message never tried waits from its planned time: quiet hours and the weekly cap plan mail
    hours or days after it is written, and it is not late before then. One tried and put back
    waits from when it was written, as its planned time is gone.
    """
    untried = (OutboxMessage.attempts == 0) & OutboxMessage.last_error.is_(None)
    return case((untried, OutboxMessage.next_attempt_at), else_=OutboxMessage.created_at)


def outbox_backlog(session: Session, now: datetime) -> tuple[int, float | None]:
    """How many messages are due and not yet sent, and for how many seconds the oldest has waited.

    Queued or being sent, leaving out messages planned for later that were never tried: a campaign
    paced past the night is not a backlog. ``None`` for the age when nothing waits.
    """
    due_or_tried = or_(
        OutboxMessage.status == OutboxStatus.SENDING,
        OutboxMessage.next_attempt_at <= now,
        OutboxMessage.attempts > 0,
        OutboxMessage.last_error.is_not(None),
    )
    count, oldest = session.execute(
        select(func.count(OutboxMessage.id), func.min(_waiting_since())).where(
            OutboxMessage.status.in_(WAITING), due_or_tried
        )
    ).one()
    if not count or oldest is None:
        return count or 0, None
    return count, max(0.0, (now - as_utc(oldest)).total_seconds())


def failures_since(session: Session, since: datetime) -> int:
    """Messages that failed since ``since``.

    A failed row keeps the end of the claim it failed in as ``next_attempt_at`` (within a lease of
    the failure), so that column dates the failure without a column of its own.
    """
    return (
        session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.next_attempt_at >= since
            )
        )
        or 0
    )


def outbox_by_status(session: Session) -> dict[str, int]:
    """How many outbox messages are in each state, every state named (zero too)."""
    counts = dict.fromkeys(OutboxStatus, 0)
    rows = session.execute(select(OutboxMessage.status, func.count(literal_column("*"))).group_by(OutboxMessage.status))
    for status, count in rows:
        counts[OutboxStatus(status)] = count
    return {str(status): count for status, count in counts.items()}


# --- readiness ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Readiness:
    """Every readiness figure at one moment; ``None`` where the database could not be asked."""

    checked_at: datetime
    database: bool
    schema: str | None = None
    heartbeat_age: float | None = None
    heartbeat_limit: float = 0.0
    backlog: int | None = None
    oldest_age: float | None = None
    failed_24h: int | None = None
    mail_down_since: datetime | None = None
    #: What the mail server or the network last said; for the office's page only, never the JSON.
    mail_reason: str = ""

    @property
    def scheduler(self) -> str | None:
        if not self.database:
            return None
        if self.heartbeat_age is None:
            return Scheduler.NEVER_RAN
        return Scheduler.RUNNING if self.heartbeat_age <= self.heartbeat_limit else Scheduler.STOPPED

    @property
    def last_heartbeat(self) -> datetime | None:
        return None if self.heartbeat_age is None else self.checked_at - timedelta(seconds=self.heartbeat_age)

    @property
    def ready(self) -> bool:
        """The database answers, its schema is not behind the code, a scheduler is alive."""
        return self.database and self.schema != Schema.BEHIND and self.scheduler == Scheduler.RUNNING

    def as_json(self) -> dict:
        """What ``/readyz`` answers: states, counts and ages in seconds, nothing that names anything."""

        def seconds(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        mail = None
        if self.database:
            mail = {
                "status": "unreachable" if self.mail_down_since else "ok",
                "unreachable_seconds": seconds(
                    (self.checked_at - self.mail_down_since).total_seconds() if self.mail_down_since else None
                ),
            }
        return {
            "status": "ok" if self.ready else "unavailable",
            "checked_at": self.checked_at.isoformat(),
            "checks": {
                "database": {"status": "ok" if self.database else "unavailable"},
                "schema": {"status": self.schema},
                "scheduler": {
                    "status": self.scheduler,
                    "heartbeat_age_seconds": seconds(self.heartbeat_age),
                    "limit_seconds": self.heartbeat_limit,
                },
                "outbox": {
                    "backlog": self.backlog,
                    "oldest_age_seconds": seconds(self.oldest_age),
                    "failed_last_24h": self.failed_24h,
                },
                "mail_server": mail,
            },
        }


def check_readiness(session: Session, config, migrations: str, now: datetime | None = None) -> Readiness:
    """Ask the database for every readiness figure (about seven small queries), without writing.

    :param migrations: the Alembic script directory whose head the schema is compared with.
    """
    now = now or utcnow()
    limit = HEARTBEAT_LEASES * lease_seconds(config)
    if not database_answers(session):
        return Readiness(checked_at=now, database=False, heartbeat_limit=limit)
    try:
        schema = schema_state(session, migration_heads(migrations))
        backlog, oldest = outbox_backlog(session, now)
        mail = server_state(session)
        readiness = Readiness(
            checked_at=now,
            database=True,
            schema=schema,
            heartbeat_age=scheduler_heartbeat_age(session, now),
            heartbeat_limit=limit,
            backlog=backlog,
            oldest_age=oldest,
            failed_24h=failures_since(session, now - FAILURE_WINDOW),
            mail_down_since=mail.down_since,
            mail_reason=mail.reason,
        )
    except SQLAlchemyError as error:  # it answers, but not with Adal's tables: not ready either
        session.rollback()
        log.warning("readiness: the database answers but its tables do not (%s)", error.__class__.__name__)
        return Readiness(checked_at=now, database=False, heartbeat_limit=limit)
    return readiness


def current_readiness() -> Readiness:
    """Readiness of this app's database, now."""
    return check_readiness(db.session, current_app.config, current_app.extensions["migrate"].directory)


# --- metrics --------------------------------------------------------------------------------------


class AdalCollector:
    """Prometheus figures read from the database when scraped, so every worker gives the same.

    All gauges: the states' counts go down as well as up (queued mail is sent, failed mail sent
    again). A scrape costs the readiness queries (27 ms on PostgreSQL with a million outbox rows,
    10,000 of them waiting) and a count by state, which reads the whole outbox (170 ms there).
    """

    def __init__(self, session: Session, config, migrations: str):
        self.session = session
        self.config = config
        self.migrations = migrations

    def collect(self):
        readiness = check_readiness(self.session, self.config, self.migrations)
        yield _gauge("adal_database_up", "1 when the database answers Adal's queries.", readiness.database)
        yield _gauge("adal_ready", "1 when /readyz answers 200.", readiness.ready)
        if not readiness.database:
            return
        by_status = GaugeMetricFamily("adal_outbox_messages", "Outbox messages by state.", labels=["status"])
        for status, count in outbox_by_status(self.session).items():
            by_status.add_metric([status], count)
        yield by_status
        yield _gauge("adal_outbox_backlog_messages", "Messages due and not yet sent.", readiness.backlog)
        yield _gauge(
            "adal_outbox_oldest_waiting_seconds",
            "How long the oldest message due has waited (0 when none waits).",
            readiness.oldest_age or 0,
        )
        yield _gauge(
            "adal_outbox_failed_last_24h_messages", "Messages that failed in the last 24 hours.", readiness.failed_24h
        )
        yield _gauge(
            "adal_schema_at_head",
            "1 when the database's migration is the code's head.",
            readiness.schema == Schema.AT_HEAD,
        )
        yield _gauge(
            "adal_scheduler_running",
            "1 when a scheduler renewed its lease within the limit.",
            readiness.scheduler == Scheduler.RUNNING,
        )
        if readiness.heartbeat_age is not None:
            yield _gauge(
                "adal_scheduler_heartbeat_age_seconds",
                "Seconds since a scheduler last renewed its lease.",
                readiness.heartbeat_age,
            )
        yield _gauge(
            "adal_mail_server_reachable",
            "1 unless delivery found the mail server unreachable.",
            not readiness.mail_down_since,
        )


def _gauge(name: str, documentation: str, value) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def metrics_allowed() -> bool:
    """The request comes from this machine, or brings ``ADAL_METRICS_TOKEN`` as a bearer token.

    Without ``ADAL_PROXY_HOPS`` a request a local proxy forwarded also comes from 127.0.0.1; the
    ``X-Forwarded-For`` or ``Forwarded`` header it adds then says it is someone else's.
    """
    token = current_app.config.get("ADAL_METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return True
    forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if forwarded and not current_app.config.get("ADAL_PROXY_HOPS"):
        return False
    return is_loopback(request.remote_addr)


def is_loopback(address: str | None) -> bool:
    """127.0.0.0/8, ``::1`` or an IPv4 loopback written as IPv6 (``::ffff:127.0.0.1``)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


# --- views ----------------------------------------------------------------------------------------


@bp.route("/healthz")
def healthz():
    """The process answers; no database is asked."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """Readiness as JSON: 200 when ready, 503 when not."""
    readiness = current_readiness()
    response = jsonify(readiness.as_json())
    response.status_code = 200 if readiness.ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/metrics")
def metrics():
    """Prometheus' text format, for this machine or the configured token; 404 to anyone else."""
    if not metrics_allowed():
        abort(404)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AdalCollector(db.session, current_app.config, current_app.extensions["migrate"].directory))
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return encode(registry), 200, {"Content-Type": content_type, "Cache-Control": "no-store"}


def duration(seconds: float) -> str:
    """``seconds`` in words in the reader's language ("3 minutes")."""
    return format_timedelta(timedelta(seconds=seconds))


@bp.route("/office/status")
@require_role(*OFFICE_ROLES)
@university_wide
def status():
    """The readiness figures in words for the office: what runs, what waits, what failed."""
    return render_template("lms/status.html", readiness=current_readiness(), duration=duration)


def init_app(app: Flask) -> None:
    from lms.navigation import add_nav_item

    app.register_blueprint(bp)
    add_nav_item(app, "health.status", _l("System status"), OFFICE_ROLES, "office", university_wide=True)
