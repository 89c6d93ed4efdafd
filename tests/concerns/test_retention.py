"""Retention: closed cases go after the configured period with their files; their statistics stay."""

import io
from datetime import timedelta

from sqlalchemy import func, select

from concerns.history import today
from concerns.jobs import delete_expired_cases
from concerns.models import Case, CaseEvent, CaseFile, CaseStatistic
from lms.extensions import db
from lms.models import AuditEvent, OutboxMessage, Role
from lms.scheduler import registered_jobs, run_job
from tests.concerns.helpers import report_directly, report_through_form


def _close(case: Case, days_ago: int) -> None:
    case.status, case.outcome = "closed", "not_substantiated"
    case.closed_on = today() - timedelta(days=days_ago)
    db.session.commit()


def test_closed_cases_past_the_period_are_deleted_and_their_statistics_kept(app, client, make):
    make.user(roles=[Role.CASE_HANDLER])
    for _ in range(3):
        report_through_form(client, files=[(io.BytesIO(b"file"), "a.txt")])
    old, recent, still_open = db.session.scalars(select(Case).order_by(Case.id)).all()
    period = app.config["ADAL_CASE_RETENTION_DAYS"]
    _close(old, period + 1)
    _close(recent, period - 1)
    old_id = old.id

    assert delete_expired_cases(db.session, today()) == 1
    db.session.commit()
    assert db.session.scalars(select(Case.id).order_by(Case.id)).all() == [recent.id, still_open.id]
    assert db.session.scalar(select(func.count()).select_from(CaseFile)) == 2
    assert db.session.scalar(select(func.count()).where(CaseEvent.case_id == old_id)) == 0
    statistics = db.session.scalars(select(CaseStatistic).order_by(CaseStatistic.id)).all()
    assert len(statistics) == 3 and statistics[0].case_id is None and statistics[0].category == "bribery"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "concerns.retention"))
    assert event.details == {"cases": 1} and event.actor_id is None
    assert delete_expired_cases(db.session, today()) == 0


def test_the_scheduler_job_reminds_and_expires_in_one_run(app, make):
    make.user(roles=[Role.CASE_HANDLER])
    report_directly()
    report_directly()
    late, expired = db.session.scalars(select(Case).order_by(Case.id)).all()
    late.received_on -= timedelta(days=app.config["ADAL_CASE_ACKNOWLEDGE_DAYS"] + 1)
    _close(expired, app.config["ADAL_CASE_RETENTION_DAYS"] + 1)
    job = next(job for job in registered_jobs(app) if job.id == "concerns.daily")
    run_job(app, job)
    db.session.expire_all()
    assert db.session.scalars(select(Case.id)).all() == [late.id]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
