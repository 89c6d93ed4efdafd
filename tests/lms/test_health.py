"""Health: /healthz without a database, /readyz that tells a stopped scheduler and a growing backlog,
/metrics for this machine or a token, and the office's system status page."""

import itertools
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, text

from lms import create_app
from lms.database import utcnow
from lms.health import check_readiness, is_loopback, migration_heads
from lms.leases import SCHEDULER_LEASE, acquire_lease
from lms.mail.server_status import record_outage
from lms.models import OutboxMessage, OutboxStatus, Role

_numbers = itertools.count()


def outbox(db, count=1, *, written_ago=timedelta(0), due_in=timedelta(0), **values) -> None:
    """``count`` outbox rows written ``written_ago``, planned ``due_in`` from now (negative: past)."""
    now = utcnow()
    rows = []
    for _ in range(count):
        n = next(_numbers)
        rows.append(
            {
                "dedup_key": f"health:{n}",
                "message_id": f"<health.{n}@adal.test>",
                "to_addr": f"p{n}@example.kz",
                "subject": "Reminder",
                "body_text": "Hello",
                "headers": {},
                "created_at": now - written_ago,
                "next_attempt_at": now + due_in,
                **values,
            }
        )
    db.session.execute(insert(OutboxMessage), rows)
    db.session.commit()


def heartbeat(db, ago: timedelta) -> None:
    """A scheduler renewed its lease ``ago``."""
    acquire_lease(db.session, SCHEDULER_LEASE, "sched-host:1:abc", 20, utcnow() - ago)


def readyz(client):
    response = client.get("/readyz")
    assert response.headers["Content-Type"] == "application/json"
    return response.status_code, response.get_json()


def metrics(response) -> dict[str, float]:
    """The samples of a /metrics answer by name (and label, for the outbox's states)."""
    assert response.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            status = sample.labels.get("status")
            samples[f"{sample.name}{{{status}}}" if status else sample.name] = sample.value
    return samples


# --- /healthz ---------------------------------------------------------------------------------------


def test_healthz_answers_without_a_database(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/nowhere",  # nothing listens there
            "SECRET_KEY": "x",
            "ADAL_STORAGE_PATH": str(tmp_path),
        }
    )
    client = app.test_client()
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    status, body = readyz(client)
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"status": "unavailable"}
    with app.app_context():
        from lms.extensions import db

        db.engine.dispose()


def test_healthz_runs_no_query(client, count_queries):
    with count_queries() as statements:
        assert client.get("/healthz").status_code == 200
    assert statements == []


# --- /readyz ----------------------------------------------------------------------------------------


def test_readyz_is_ok_with_a_fresh_heartbeat(client, db):
    heartbeat(db, timedelta(seconds=4))
    status, body = readyz(client)
    assert status == 200
    assert body["status"] == "ok"
    checks = body["checks"]
    assert checks["database"] == {"status": "ok"}
    assert checks["scheduler"]["status"] == "running"
    assert 4 <= checks["scheduler"]["heartbeat_age_seconds"] < 30
    assert checks["scheduler"]["limit_seconds"] == 60  # three leases of 20 s
    assert checks["outbox"] == {"backlog": 0, "oldest_age_seconds": None, "failed_last_24h": 0}
    # The suite builds its tables with create_all: no migration recorded, reported, not blocking.
    assert checks["schema"] == {"status": "unknown"}
    assert "sched-host" not in str(body)  # counts, ages and states only


def test_readyz_reports_a_stopped_scheduler(client, db):
    status, body = readyz(client)
    assert (status, body["checks"]["scheduler"]["status"]) == (503, "never_ran")
    heartbeat(db, timedelta(minutes=5))  # then it died: no renewal for 5 minutes
    status, body = readyz(client)
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["scheduler"]["status"] == "stopped"
    assert body["checks"]["scheduler"]["heartbeat_age_seconds"] >= 300
    heartbeat(db, timedelta(0))  # a scheduler runs again
    status, body = readyz(client)
    assert (status, body["checks"]["scheduler"]["status"]) == (200, "running")


def test_backlog_count_and_oldest_age_grow_and_leave_readiness_alone(client, db):
    heartbeat(db, timedelta(0))
    outbox(db, written_ago=timedelta(minutes=10), due_in=-timedelta(minutes=10))
    status, body = readyz(client)
    first = body["checks"]["outbox"]
    assert status == 200 and first["backlog"] == 1
    assert 600 <= first["oldest_age_seconds"] < 660

    outbox(db, 3, written_ago=timedelta(hours=2), due_in=-timedelta(hours=2))
    # Tried and put back (a 4xx, or an outage): waits since it was written, though retried later.
    outbox(db, written_ago=timedelta(hours=3), due_in=timedelta(minutes=5), attempts=1, last_error="451 try later")
    outbox(db, status=OutboxStatus.SENDING, written_ago=timedelta(minutes=1), due_in=timedelta(seconds=20))
    # Not a backlog: planned for after the night and never tried, or done with.
    outbox(db, 5, written_ago=timedelta(hours=4), due_in=timedelta(hours=9))
    outbox(db, 2, status=OutboxStatus.SENT, written_ago=timedelta(days=2), due_in=-timedelta(days=2))
    outbox(db, status=OutboxStatus.HELD, written_ago=timedelta(days=3), due_in=-timedelta(days=3))
    status, body = readyz(client)
    grown = body["checks"]["outbox"]
    assert status == 200  # a growing backlog is reported, Adal stays ready
    assert grown["backlog"] == 6
    assert 3 * 3600 <= grown["oldest_age_seconds"] < 3 * 3600 + 60
    assert body["checks"]["scheduler"]["status"] == "running"


def test_planned_mail_counts_from_its_planned_time_once_due(db, app):
    """A campaign written at night for the morning is not hours late the moment it becomes due."""
    outbox(db, written_ago=timedelta(hours=10), due_in=-timedelta(minutes=2))
    readiness = check_readiness(db.session, app.config, app.extensions["migrate"].directory)
    assert readiness.backlog == 1
    assert 120 <= readiness.oldest_age < 180


def test_failures_in_the_last_24_hours(client, db):
    heartbeat(db, timedelta(0))
    failed = {"status": OutboxStatus.FAILED, "attempts": 1, "last_error": "550 5.1.1 no such mailbox"}
    outbox(db, 2, written_ago=timedelta(hours=3), due_in=-timedelta(hours=1), **failed)
    outbox(db, 4, written_ago=timedelta(days=2), due_in=-timedelta(hours=30), **failed)
    status, body = readyz(client)
    assert status == 200
    assert body["checks"]["outbox"]["failed_last_24h"] == 2
    assert "550" not in str(body)


def test_a_schema_behind_the_code_is_not_ready(client, db, app):
    heartbeat(db, timedelta(0))
    (head,) = migration_heads(app.extensions["migrate"].directory)
    db.session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
    try:
        db.session.execute(text("INSERT INTO alembic_version VALUES ('d2db03c5e827')"))  # the first revision
        db.session.commit()
        status, body = readyz(client)
        assert (status, body["checks"]["schema"]) == (503, {"status": "behind"})
        db.session.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
        db.session.commit()
        status, body = readyz(client)
        assert (status, body["checks"]["schema"]) == (200, {"status": "at_head"})
    finally:
        db.session.rollback()
        db.session.execute(text("DROP TABLE alembic_version"))
        db.session.commit()


def test_readyz_asks_a_few_small_queries_whatever_the_outbox_holds(client, db, count_queries):
    heartbeat(db, timedelta(0))
    outbox(db, 300, written_ago=timedelta(minutes=1), due_in=-timedelta(minutes=1))
    with count_queries() as statements:
        assert client.get("/readyz").status_code == 200
    assert len(statements) <= 8, statements


def test_readyz_reports_an_unreachable_mail_server_without_its_reason(client, db):
    heartbeat(db, timedelta(0))
    record_outage(db.session, "Connection refused by smtp.internal.metu.kz", utcnow() - timedelta(minutes=3), 5, 300)
    db.session.commit()
    status, body = readyz(client)
    assert status == 200
    assert body["checks"]["mail_server"]["status"] == "unreachable"
    assert body["checks"]["mail_server"]["unreachable_seconds"] >= 180
    assert "smtp.internal" not in str(body)


# --- /metrics ---------------------------------------------------------------------------------------


def test_metrics_from_loopback_read_the_database_at_scrape_time(client, db):
    heartbeat(db, timedelta(seconds=30))
    outbox(db, 3, written_ago=timedelta(minutes=5), due_in=-timedelta(minutes=5))
    outbox(db, 2, status=OutboxStatus.SENT)
    outbox(db, status=OutboxStatus.FAILED, attempts=1, last_error="550")
    response = client.get("/metrics")
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    got = metrics(response)
    assert got["adal_database_up"] == 1
    assert got["adal_ready"] == 1
    assert got["adal_outbox_messages{queued}"] == 3
    assert got["adal_outbox_messages{sent}"] == 2
    assert got["adal_outbox_messages{failed}"] == 1
    assert got["adal_outbox_messages{held}"] == 0
    assert got["adal_outbox_backlog_messages"] == 3
    assert 300 <= got["adal_outbox_oldest_waiting_seconds"] < 360
    assert got["adal_outbox_failed_last_24h_messages"] == 1
    assert 30 <= got["adal_scheduler_heartbeat_age_seconds"] < 60
    assert got["adal_scheduler_running"] == 1
    assert got["adal_mail_server_reachable"] == 1

    outbox(db, 4, written_ago=timedelta(minutes=1), due_in=-timedelta(minutes=1))  # the next scrape sees them
    record_outage(db.session, "Connection refused", utcnow(), 5, 300)
    db.session.commit()
    got = metrics(client.get("/metrics"))
    assert got["adal_outbox_backlog_messages"] == 7
    assert got["adal_mail_server_reachable"] == 0


def test_metrics_are_refused_from_another_address(client, db):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_metrics_forwarded_by_a_local_proxy_are_not_loopback(client, db):
    """Behind nginx without ADAL_PROXY_HOPS every request comes from 127.0.0.1: the header tells."""
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 404


def test_metrics_with_the_token_from_anywhere(client, db, app, monkeypatch):
    elsewhere = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.get("/metrics", environ_base=elsewhere, headers={"Authorization": "Bearer "}).status_code == 404
    monkeypatch.setitem(app.config, "ADAL_METRICS_TOKEN", "s3cret-scrape-token")
    ok = client.get("/metrics", environ_base=elsewhere, headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert metrics(ok)["adal_database_up"] == 1
    for wrong in ("Bearer s3cret", "Bearer S3CRET-SCRAPE-TOKEN", "s3cret-scrape-token", "Basic s3cret-scrape-token"):
        assert client.get("/metrics", environ_base=elsewhere, headers={"Authorization": wrong}).status_code == 404


@pytest.mark.parametrize(
    "address, local",
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("203.0.113.5", False),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_addresses(address, local):
    assert is_loopback(address) is local


# --- the office's page ------------------------------------------------------------------------------


def test_status_page_for_an_officer_says_it_in_words(client, auth, make, db):
    heartbeat(db, timedelta(minutes=12))
    outbox(db, 1204, written_ago=timedelta(hours=3), due_in=-timedelta(hours=3))
    outbox(db, 9, status=OutboxStatus.FAILED, attempts=1, last_error="550", due_in=-timedelta(hours=1))
    record_outage(db.session, "Connection refused", utcnow() - timedelta(minutes=30), 5, 300)
    db.session.commit()
    auth.login(make.user(roles=[Role.OFFICER]))
    page = client.get("/office/status").get_data(as_text=True)
    assert "Adal is not ready" in page
    assert "Last heartbeat 12 minutes ago" in page
    assert "1,204 e-mails are due and not yet sent; the oldest has waited 3 hours." in page
    assert "9 e-mails failed." in page
    assert "/office/mailbox/?status=failed" in page
    assert "Since" in page and "(30 minutes)" in page and "Connection refused" in page
    assert 'href="/office/status"' in page  # in the office menu


def test_status_page_numbers_and_times_in_the_readers_language(client, auth, make, db):
    heartbeat(db, timedelta(seconds=5))
    outbox(db, 1204, written_ago=timedelta(hours=3), due_in=-timedelta(hours=3))
    auth.login(make.user(roles=[Role.ADMIN], locale="ru"))
    page = client.get("/office/status").get_data(as_text=True)
    assert "1\xa0204" in page
    assert "3 часа" in page


def test_status_page_refused_for_a_learner_and_a_unit_head(client, auth, make, db):
    auth.login(make.user())
    assert client.get("/office/status").status_code == 403
    assert 'href="/office/status"' not in client.get("/profile").get_data(as_text=True)
    auth.logout()
    head = make.user(roles=[Role.OFFICER])
    head.roles[0].scope_unit_id = make.unit().id
    db.session.commit()
    auth.login(head)
    assert client.get("/office/status").status_code == 403
