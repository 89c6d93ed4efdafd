"""Writing the demo's stories: the rows the course player would have left, inserted in bulk, and a few certificates.

Apart from the stories (``courses.demo.steps``) because these are the database's side: a few
thousand rows in about a second instead of replaying thousands of requests, with the audit events
and last sign-ins the player's pages show.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from courses.certificates.issuing import issue_certificate
from courses.demo.steps import CODE_OF_ETHICS, SHOWCASE, Story
from courses.models import Assignment, Attestation, Enrolment, EnrolmentStatus, ModuleProgress, QuizAttempt
from lms.database import as_utc
from lms.models import AuditEvent, User


def write_stories(session: Session, stories: list[Story]) -> None:
    """Enrolments updated and inserted, then their progress, attempts, signatures and audit events, in bulk."""
    session.flush()
    existing = [s for s in stories if s.enrolment_id is not None]
    # Cycles first: a renewal takes cycle 2 before last year's enrolment takes cycle 1 back.
    session.execute(update(Enrolment), [{"id": s.enrolment_id, **s.values()} for s in existing])
    added = [s for s in stories if s.enrolment_id is None]
    if added:
        assignments = dict(session.execute(select(Assignment.course_slug, Assignment.id)).all())
        session.execute(
            insert(Enrolment),
            [
                {"user_id": s.person.id, "course_slug": s.course.slug, "assignment_id": assignments[s.course.slug]}
                | s.values()
                for s in added
            ],
        )
        ids = {
            (user_id, cycle): enrolment_id
            for enrolment_id, user_id, cycle in session.execute(
                select(Enrolment.id, Enrolment.user_id, Enrolment.cycle).where(Enrolment.course_slug == CODE_OF_ETHICS)
            )
        }
        for story in added:
            story.enrolment_id = ids[(story.person.id, story.cycle)]
    progress_rows = [
        {"enrolment_id": s.enrolment_id, "score": None, **row} for s in stories for row in s.progress.values()
    ]
    if progress_rows:
        session.execute(insert(ModuleProgress), progress_rows)
    attempts = [{"enrolment_id": s.enrolment_id, **a} for s in stories for a in s.attempts]
    if attempts:
        session.execute(insert(QuizAttempt), attempts)
    signatures = [{"enrolment_id": s.enrolment_id, **a} for s in stories for a in s.attestations]
    if signatures:
        session.execute(insert(Attestation), signatures)
    _write_audit(session, stories)
    _write_last_sign_in(session, stories)
    session.flush()


def _write_last_sign_in(session: Session, stories: list[Story]) -> None:
    """Each learner last signed in shortly before their latest step (the people pages show it)."""
    latest: dict[int, datetime] = {}
    for story in stories:
        times = [story.started_at, story.completed_at, *(r["completed_at"] for r in story.progress.values())]
        times += [a["submitted_at"] for a in story.attempts]
        for moment in times:
            if moment is not None and moment > latest.get(story.person.id, moment - timedelta(seconds=1)):
                latest[story.person.id] = moment
    if latest:
        joined = {s.person.id: s.person.joined for s in stories}
        rows = [
            {"id": uid, "last_login_at": max(at - timedelta(minutes=12), joined[uid])} for uid, at in latest.items()
        ]
        session.execute(update(User), rows)


def _write_audit(session: Session, stories: list[Story]) -> None:
    """The audit events the player records: each signature and each completion, by the learner."""
    by_story = {s.enrolment_id: s for s in stories}
    modules = {m.id: m for s in stories for m in s.course.modules}
    events = []
    for attestation_id, enrolment_id, module_id, version, sha256, at in session.execute(
        select(
            Attestation.id,
            Attestation.enrolment_id,
            Attestation.module_id,
            Attestation.document_version,
            Attestation.document_sha256,
            Attestation.accepted_at,
        )
    ):
        events.append(
            {
                "at": as_utc(at),
                "actor_id": by_story[enrolment_id].person.id,
                "action": "course.attestation_accepted",
                "target_type": Attestation.__tablename__,
                "target_id": str(attestation_id),
                "details": {"version": version, "sha256": sha256, "module": modules[module_id].key},
            }
        )
    for story in stories:
        if story.status == EnrolmentStatus.COMPLETED:
            events.append(
                {
                    "at": story.completed_at,
                    "actor_id": story.person.id,
                    "action": "course.completed",
                    "target_type": Enrolment.__tablename__,
                    "target_id": str(story.enrolment_id),
                    "details": {"course": story.course.slug, "score": story.score},
                }
            )
    events.sort(key=lambda e: e["at"])
    if events:
        session.execute(insert(AuditEvent), events)


def issue_certificates(session: Session, rng: random.Random, stories: list[Story], now: datetime, count: int) -> None:
    """Render ``count`` certificates: the showcase learners', a few expired ones and some recent completions."""
    done = [s for s in stories if s.status == EnrolmentStatus.COMPLETED]
    showcase = [s for s in done if any(s.person.email.startswith(f"{p}@") for p, _slug in SHOWCASE)]
    expired = [s for s in done if s.valid_until is not None and s.valid_until <= now]
    recent = [s for s in done if s not in showcase and s not in expired]
    chosen = showcase + rng.sample(expired, min(3, len(expired)))
    chosen += rng.sample(recent, min(len(recent), max(0, count - len(chosen))))
    session.expire_all()  # the bulk updates went around the identity map
    for story in sorted(chosen, key=lambda s: s.completed_at):
        cert = issue_certificate(session, session.get(Enrolment, story.enrolment_id))
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.action == "certificate.issue", AuditEvent.target_id == str(cert.id))
            .values(at=story.completed_at, actor_id=story.person.id)
        )
    session.flush()
