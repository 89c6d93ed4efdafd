"""Overdue people reach their unit head in one daily digest, not one e-mail each."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from campaigns.due_steps import run_due_steps
from campaigns.escalation import send_digests
from campaigns.lifecycle import schedule_campaign
from campaigns.models import Category, StepTiming
from lms.models import OutboxMessage, OutboxStatus, Role, UserRole
from tests.campaigns.helpers import make_campaign
from tests.courses.builders import build_course, enrol

NOW = datetime(2026, 12, 10, 5, 0, tzinfo=UTC)


def test_unit_head_gets_one_digest_a_day_listing_overdue_people(db, make):
    faculty = make.unit()
    department = make.unit(parent=faculty)
    dean = make.user(full_name="Dean Head", unit=faculty)
    dean.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=faculty.id))
    head = make.user(full_name="Department Head", unit=department)
    head.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=department.id))
    late = [make.user(full_name=f"Late {i}", unit=department) for i in range(3)]
    on_time = make.user(full_name="On Time", unit=department)
    course = build_course(db.session, slug="law")
    for person in [*late, on_time]:
        enrol(db.session, person, course, due_at=NOW - timedelta(days=3 if person in late else -5))
    campaign = make_campaign(
        db.session,
        category=Category.TRAINING_REMINDER,
        course_slug="law",
        escalate_after=2,
        steps=[{"timing": StepTiming.RELATIVE_TO_DUE, "offset_days": -10, "repeat_days": 1}],
    )
    schedule_campaign(db.session, campaign, NOW - timedelta(days=20))
    for day in (4, 3):
        run_due_steps(db.session, NOW - timedelta(days=day))
        for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.QUEUED)):
            message.status, message.sent_at = OutboxStatus.SENT, NOW - timedelta(days=day)
        db.session.commit()

    assert send_digests(db.session, NOW) == 1
    assert send_digests(db.session, NOW + timedelta(hours=3)) == 0  # same day: no second digest
    db.session.commit()
    (digest,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.startswith("digest:")))
    assert digest.to_addr == head.email  # the nearest head, not the dean
    for person in late:
        assert person.full_name in digest.body_text
    assert "On Time" not in digest.body_text
    assert "3 people" in digest.subject
    assert send_digests(db.session, NOW + timedelta(days=1)) == 1
