"""After downtime a recurring step runs once for what it missed, and the campaign page says what was skipped."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from campaigns.lifecycle import schedule_campaign
from campaigns.models import CampaignSkippedRun, CampaignStep, StepTiming
from campaigns.scheduling import MAX_NOTED_SKIPS, catch_up
from lms.database import as_utc
from lms.models import OutboxMessage, Role
from lms.scheduler import registered_jobs, run_job
from tests.campaigns.helpers import make_campaign

ALMATY = ZoneInfo("Asia/Almaty")
FIRST = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # Tuesday 10:00 in Almaty


def _run_scheduler_job(app) -> None:
    """What the scheduler process does every 30 s (the job, at the frozen 'now')."""
    job = next(j for j in registered_jobs(app) if j.id == "campaigns.run")
    run_job(app, job)


def _occurrences(db) -> list[str]:
    keys = db.session.scalars(select(OutboxMessage.dedup_key).order_by(OutboxMessage.id))
    return [key.split(":")[2] for key in keys]


def test_a_daily_step_after_three_days_down_runs_once_and_lists_the_days_it_missed(app, db, make, client, auth):
    make.user()
    campaign = make_campaign(db.session, steps=[{"timing": StepTiming.CRON, "cron": "0 10 * * *"}])
    with time_machine.travel(FIRST - timedelta(hours=1), tick=False) as clock:
        schedule_campaign(db.session, campaign, FIRST - timedelta(hours=1))
        db.session.commit()
        clock.move_to(FIRST + timedelta(seconds=20))
        _run_scheduler_job(app)
        assert _occurrences(db) == ["20261201T0500"]
        # the scheduler is down from Tuesday 10:00:20 until Friday 10:30
        clock.move_to(FIRST + timedelta(days=3, minutes=30))
        _run_scheduler_job(app)
        _run_scheduler_job(app)  # and again 30 s later: nothing more
    assert _occurrences(db) == ["20261201T0500", "20261204T0500"]  # one catch-up, for Friday
    skipped = db.session.scalars(select(CampaignSkippedRun).order_by(CampaignSkippedRun.occurrence_at)).all()
    assert [as_utc(s.occurrence_at) for s in skipped] == [FIRST + timedelta(days=1), FIRST + timedelta(days=2)]
    assert {as_utc(s.covered_by) for s in skipped} == {FIRST + timedelta(days=3)}
    step = db.session.scalars(select(CampaignStep)).one()
    db.session.refresh(step)
    assert as_utc(step.next_run_at) == FIRST + timedelta(days=4)  # Saturday, back on the rule

    auth.login(make.user(roles=[Role.OFFICER]))
    page = client.get(f"/office/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Missed runs" in page
    assert page.count('class="skipped-run"') == 2
    # Wednesday and Thursday 10:00 in the university's time, newest first, then what replaced them
    rows = re.findall(r'<tr class="skipped-run">(.*?)</tr>', page, re.S)
    assert "Dec 3, 2026, 10:00" in rows[0] and "Dec 2, 2026, 10:00" in rows[1]  # four-digit years
    assert all("the catch-up run for Dec 4, 2026, 10:00" in row for row in rows)


def test_a_run_a_little_late_skips_nothing(app, db, make):
    make.user()
    campaign = make_campaign(db.session, steps=[{"timing": StepTiming.CRON, "cron": "* * * * *"}])
    with time_machine.travel(FIRST - timedelta(seconds=30), tick=False) as clock:
        schedule_campaign(db.session, campaign, FIRST - timedelta(seconds=30))
        db.session.commit()
        for minute in range(3):  # the job runs 50 s after each minute (late, but before the next)
            clock.move_to(FIRST + timedelta(minutes=minute, seconds=50))
            _run_scheduler_job(app)
    assert _occurrences(db) == ["20261201T0500", "20261201T0501", "20261201T0502"]
    assert db.session.scalars(select(CampaignSkippedRun)).all() == []


def test_catch_up_of_a_minute_rule_stopped_for_days_is_bounded():
    first = FIRST
    now = FIRST + timedelta(days=3, seconds=30)
    run, skipped = catch_up("* * * * *", first, now, ALMATY)
    assert run == FIRST + timedelta(days=3)
    assert len(skipped) == MAX_NOTED_SKIPS  # the most recent ones, not 4,320 rows
    assert skipped[0] == run - timedelta(minutes=1) and skipped == sorted(skipped, reverse=True)
    assert catch_up("* * * * *", first, first + timedelta(seconds=40), ALMATY) == (first, [])
