"""Scheduling campaign steps and writing their messages into the outbox."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from campaigns.due_steps import run_due_steps
from campaigns.lifecycle import pause_campaign, resume_campaign, schedule_campaign
from campaigns.models import Campaign, CampaignStatus, Category, StepTiming
from campaigns.tracking import unsubscribe
from lms.models import OutboxMessage, OutboxStatus, PersonKind
from lms.signals import course_completed
from tests.campaigns.helpers import make_campaign
from tests.courses.builders import build_course, enrol

DAYTIME = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 10:00 in Almaty


def _messages(db, **where):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for key, value in where.items():
        query = query.where(getattr(OutboxMessage, key) == value)
    return db.session.scalars(query).all()


def _start(db, campaign, now=DAYTIME):
    schedule_campaign(db.session, campaign, now)
    db.session.commit()


def test_a_campaign_reaches_each_person_once_in_their_language(db, make):
    people = [make.user(locale=loc) for loc in ("kk", "ru", "en")]
    unit = make.unit()
    twice = make.user(locale="ru", kind=PersonKind.STAFF, unit=unit)  # matches both parts of the rule
    rule = {"kind": "any", "rules": [{"kind": "staff"}, {"kind": "unit", "unit_id": unit.id, "sub": True}]}
    campaign = make_campaign(db.session, audience={"kind": "any", "rules": [rule, {"kind": "students"}]})
    _start(db, campaign)
    assert run_due_steps(db.session, DAYTIME) == 4
    by_person = {m.user_id: m for m in _messages(db)}
    assert set(by_person) == {p.id for p in [*people, twice]}
    assert by_person[people[0].id].subject.startswith("Сәлем")
    assert by_person[people[1].id].subject.startswith("Здравствуйте")
    assert by_person[people[2].id].subject.startswith("Hello")
    assert "List-Unsubscribe" in by_person[people[2].id].headers
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.RUNNING  # still sending
    for message in _messages(db):
        message.status = OutboxStatus.SENT
    db.session.commit()
    run_due_steps(db.session, DAYTIME)
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.COMPLETED


def test_running_a_step_again_writes_nothing_new(db, make):
    for _ in range(3):
        make.user()
    campaign = make_campaign(db.session, evergreen=True)
    _start(db, campaign)
    assert run_due_steps(db.session, DAYTIME) == 3
    later = DAYTIME + timedelta(minutes=10)
    assert run_due_steps(db.session, later) == 0
    newcomer = make.user()
    assert run_due_steps(db.session, later + timedelta(minutes=10)) == 1  # evergreen: the newcomer only
    assert [m.user_id for m in _messages(db)][-1] == newcomer.id
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 4


def test_unsubscribed_people_are_skipped_but_not_for_mandatory_mail(db, make):
    gone, stays = make.user(), make.user()
    unsubscribe(db.session, gone.id, Category.AWARENESS, None)
    db.session.commit()
    awareness = make_campaign(db.session)
    mandatory = make_campaign(db.session, category=Category.ANNOUNCEMENT)
    _start(db, awareness)
    _start(db, mandatory)
    run_due_steps(db.session, DAYTIME)
    assert {m.user_id for m in _messages(db, category=Category.AWARENESS)} == {stays.id}
    announcement = _messages(db, category=Category.ANNOUNCEMENT)
    assert {m.user_id for m in announcement} == {gone.id, stays.id}
    assert all("List-Unsubscribe" not in m.headers for m in announcement)


def test_night_and_weekly_cap_delay_but_never_drop(db, make):
    person = make.user()
    night = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # 23:00 in Almaty
    first = make_campaign(db.session)
    _start(db, first, night)
    run_due_steps(db.session, night)
    (message,) = _messages(db)
    assert message.status == OutboxStatus.QUEUED
    assert message.next_attempt_at.replace(tzinfo=UTC) == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 08:00
    for _ in range(2):
        campaign = make_campaign(db.session)
        _start(db, campaign, DAYTIME + timedelta(days=1))
        run_due_steps(db.session, DAYTIME + timedelta(days=1))
    third = _messages(db, user_id=person.id)[-1]
    assert len(_messages(db, user_id=person.id)) == 3
    assert third.next_attempt_at.replace(tzinfo=UTC) >= datetime(2026, 12, 9, 3, 0, tzinfo=UTC)


def test_cron_step_fires_at_local_times_across_a_month_boundary(db, make):
    make.user()
    campaign = make_campaign(db.session, steps=[{"timing": StepTiming.CRON, "cron": "0 10 * * 1#1"}])
    start = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    _start(db, campaign, start)
    step = campaign.steps[0]
    fires = []
    for _ in range(3):
        due = step.next_run_at.replace(tzinfo=UTC)
        fires.append(due)
        assert run_due_steps(db.session, due - timedelta(seconds=1)) == 0
        assert run_due_steps(db.session, due) == 1
        db.session.refresh(step)
    # the first Monday of December, January and February, 10:00 in Almaty (05:00 UTC)
    assert fires == [
        datetime(2026, 12, 7, 5, 0, tzinfo=UTC),
        datetime(2027, 1, 4, 5, 0, tzinfo=UTC),
        datetime(2027, 2, 1, 5, 0, tzinfo=UTC),
    ]
    assert len(_messages(db)) == 3


def test_due_date_reminders_repeat_until_the_person_completes(app, db, make):
    course = build_course(db.session, slug="ethics")
    late, done_soon = make.user(), make.user()
    due = DAYTIME + timedelta(days=7)
    enrolments = [enrol(db.session, late, course, due_at=due), enrol(db.session, done_soon, course, due_at=due)]
    campaign = make_campaign(
        db.session,
        category=Category.TRAINING_REMINDER,
        course_slug="ethics",
        steps=[{"timing": StepTiming.RELATIVE_TO_DUE, "offset_days": 1, "repeat_days": 7}],
    )
    _start(db, campaign)
    assert run_due_steps(db.session, DAYTIME) == 0  # not due yet
    after_due = due + timedelta(days=1, hours=1)
    assert run_due_steps(db.session, after_due) == 2
    reminder = _messages(db, user_id=late.id)[0]
    assert f"/learning/{enrolments[0].id}" in reminder.body_text
    # one of them completes: their queued reminder is held at once, and no new ones come
    enrolments[1].status = "completed"
    enrolments[1].completed_at = after_due
    course_completed.send(app, session=db.session, enrolment=enrolments[1])
    db.session.commit()
    assert _messages(db, user_id=done_soon.id)[0].status == OutboxStatus.HELD
    assert run_due_steps(db.session, after_due + timedelta(days=7)) == 1
    assert len(_messages(db, user_id=late.id)) == 2
    assert len(_messages(db, user_id=done_soon.id)) == 1


def test_drip_step_follows_each_person_by_their_own_first_message(db, make):
    make.user()
    campaign = make_campaign(
        db.session, steps=[{"timing": StepTiming.NOW}, {"timing": StepTiming.DRIP, "delay_days": 3}]
    )
    _start(db, campaign)
    run_due_steps(db.session, DAYTIME)
    (first,) = _messages(db)
    first.status, first.sent_at = OutboxStatus.SENT, DAYTIME
    db.session.commit()
    assert run_due_steps(db.session, DAYTIME + timedelta(days=2)) == 0
    assert run_due_steps(db.session, DAYTIME + timedelta(days=3, minutes=10)) == 1


def test_pause_holds_queued_messages_and_resume_releases_them(db, make):
    for _ in range(5):
        make.user()
    campaign = make_campaign(db.session)
    _start(db, campaign)
    run_due_steps(db.session, DAYTIME)
    pause_campaign(db.session, campaign)
    db.session.commit()
    assert {m.status for m in _messages(db)} == {OutboxStatus.HELD}
    resume_campaign(db.session, campaign)
    db.session.commit()
    assert {m.status for m in _messages(db)} == {OutboxStatus.QUEUED}


def test_illegal_moves_are_refused(db):
    campaign = make_campaign(db.session)
    with pytest.raises(Exception, match="resume is not possible"):
        campaign.resume()
    campaign.cancel()
    with pytest.raises(Exception, match="schedule is not possible"):
        campaign.schedule()


@time_machine.travel(DAYTIME, tick=False)
def test_scheduler_job_runs_campaigns(app, db, make):
    from lms.scheduler import registered_jobs, run_job

    make.user()
    campaign = make_campaign(db.session)
    _start(db, campaign)
    job = next(j for j in registered_jobs(app) if j.id == "campaigns.run")
    run_job(app, job)
    assert len(_messages(db)) == 1
