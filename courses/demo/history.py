"""The demo's learning history: five months of a university at work, so the dashboards mean something.

The story, told relative to the moment of seeding (the demo never goes stale):

- The code of ethics is assigned to everyone and recurs every 12 months. Last year's people signed
  its 2025 edition (course version 1, document ``2025-1``, archived now); this year's edition
  (version 2, document ``2026-1``) was published 20 weeks ago. Whoever's signature of last year
  expired was enrolled again (cycle 2) the day it expired, with 30 days to sign again; those who
  signed later last year still hold a valid ``2025-1`` signature.
- The staff course on anti-corruption law started 15 weeks ago, academic integrity for students
  with the academic year (13 weeks ago), reporting corruption for everyone 20 days ago.
- Everyone has 30 days from enrolment (the demo assignments' ``due_days``); people who joined in
  the last weeks were enrolled the day they joined, so their due dates lie ahead.
- People finish early, just before the due date, late, or not yet; some fail a quiz once or twice
  first; faculties differ (``STALLING``), so the per-faculty figures differ too.

The rows are those the course player writes (``courses.learning.progress``, ``courses.learning.quiz``): module
progress, quiz attempts with their draw, answers, per-question results and language, failures and
kept scores, attestations with the hash of the document as shown, completions with score and
validity, audit events. The same functions compute draws, scores and hashes; the rows are
inserted in bulk (a few thousand in about a second) instead of replaying thousands of requests.
Afterwards the assignments' sync finds nobody to enrol: the history is one the scheduler could
have made. Certificates are rendered for real, at ~80 ms a PDF, so only ``CERTIFICATES``
completions get one (the player issues one at every completion).

This module sets the scene (the two editions, the launch dates, who is who); ``steps`` plays
each enrolment's story with the player's functions and ``rows`` writes the stories down.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from courses.authoring import versioning
from courses.demo.rows import issue_certificates, write_stories
from courses.demo.steps import CODE_OF_ETHICS, Person, Story, make_story, showcase, two_editions
from courses.learning import progress
from courses.models import Assignment, Course, CourseStatus, Enrolment, Module, ModuleKind, QuizAttempt
from lms.database import as_utc, utcnow
from lms.demo.university import YEAR_STARTED_DAYS
from lms.models import OrgUnit, Role, User, UserRole

DEMO_SEED = 2026
PREVIOUS_EDITION = "2025-1"
#: Days before seeding that each course's assignment began (the code of ethics: last year's round).
LAUNCHED_DAYS = {
    CODE_OF_ETHICS: 470,
    "anti-corruption-law-staff": 105,
    "academic-integrity": YEAR_STARTED_DAYS,
    "reporting-corruption": 20,
}
#: Days before seeding that this year's edition of the code of ethics was published.
CURRENT_EDITION_DAYS = 140
#: Completions that get a rendered certificate.
CERTIFICATES = 24


def seed_demo_progress(session: Session) -> None:
    """The demo: months of enrolments, attempts, signatures and completions on the demo assignments."""
    if session.scalar(select(QuizAttempt.id).limit(1)) is not None:
        return
    now = utcnow()
    rng = random.Random(DEMO_SEED)
    courses = {
        c.slug: c
        for c in session.scalars(
            select(Course)
            .where(Course.status == CourseStatus.PUBLISHED)
            .options(selectinload(Course.modules).selectinload(Module.questions))
            .order_by(Course.version)
        )
    }
    if not courses:
        return
    people = _people(session)
    previous = _previous_edition(session, courses, now)
    _date_courses_and_assignments(session, courses, previous, now)
    stories: list[Story] = []
    enrolments = session.execute(
        select(Enrolment.id, Enrolment.user_id, Enrolment.course_slug).order_by(Enrolment.id)
    ).all()
    for enrolment_id, user_id, slug in enrolments:
        person, course = people[user_id], courses[slug]
        start = max(now - timedelta(days=LAUNCHED_DAYS.get(slug, 30)), person.joined)
        if slug == CODE_OF_ETHICS and previous is not None and person.joined < previous.retired_at:
            stories += two_editions(rng, person, course, previous.course, start, enrolment_id, now)
            continue
        one = make_story(rng, person, course, 1, start, now, outcome=showcase(person, slug))
        one.enrolment_id = enrolment_id
        stories.append(one)
    write_stories(session, stories)
    issue_certificates(session, rng, stories, now, CERTIFICATES)


# --- Courses, editions, dates -------------------------------------------------------------------


@dataclass
class PreviousEdition:
    course: Course
    #: When this year's edition replaced it: people who joined before had signed the old one.
    retired_at: datetime


def _previous_edition(session: Session, courses: dict[str, Course], now: datetime) -> PreviousEdition | None:
    """Make the bundled code of ethics last year's edition (archived, document 2025-1) and a copy of it this year's.

    The people the assignment enrolled move to this year's version (nobody has started yet).
    """
    bundled = courses.get(CODE_OF_ETHICS)
    if bundled is None:
        return None
    current = versioning.new_draft_version(session, bundled)
    # ``Course.publish`` without ``versioning.publish``'s pack check: a copy of a bundled pack passes it
    # (and it costs a second). Its date is set with the others' below.
    current.publish()
    bundled.archive()
    for module in bundled.modules:
        if module.kind == ModuleKind.ATTESTATION:
            edition = progress.document_version(module)
            module.settings = {**module.settings, "document_version": PREVIOUS_EDITION}
            module.body = {locale: text.replace(edition, PREVIOUS_EDITION) for locale, text in module.body.items()}
    session.execute(update(Enrolment).where(Enrolment.course_id == bundled.id).values(course_id=current.id))
    session.flush()
    courses[CODE_OF_ETHICS] = current
    return PreviousEdition(bundled, now - timedelta(days=CURRENT_EDITION_DAYS))


def _date_courses_and_assignments(session, courses, previous: PreviousEdition | None, now) -> None:
    """Courses published and assignments made (by the officer) on their launch days, not at seeding time."""
    officer_id = session.scalar(
        select(UserRole.user_id)
        .where(UserRole.role == Role.OFFICER, UserRole.scope_unit_id.is_(None))
        .order_by(UserRole.id)
        .limit(1)
    )
    for slug, course in courses.items():
        launched = now - timedelta(days=LAUNCHED_DAYS.get(slug, 30))
        if previous is not None and slug == CODE_OF_ETHICS:
            previous.course.created_at = launched - timedelta(days=12)
            previous.course.published_at = launched - timedelta(days=10)
            course.created_at = previous.retired_at - timedelta(days=20)
            course.published_at = previous.retired_at
        else:
            course.created_at = launched - timedelta(days=12)
            course.published_at = launched - timedelta(days=5)
        session.execute(
            update(Assignment)
            .where(Assignment.course_slug == slug)
            .values(created_at=launched, created_by_id=officer_id)
        )


def _people(session: Session) -> dict[int, Person]:
    """Everyone, with the faculty (top-level unit under the university) their unit belongs to."""
    units = {u.id: u for u in session.scalars(select(OrgUnit))}

    def faculty(unit_id: int | None) -> str:
        unit = units.get(unit_id)
        while unit is not None and unit.parent_id is not None and units[unit.parent_id].parent_id is not None:
            unit = units[unit.parent_id]
        return unit.code.split("-")[0] if unit is not None else ""

    rows = session.execute(select(User.id, User.email, User.locale, User.created_at, User.org_unit_id))
    return {
        uid: Person(uid, email, locale or "kk", as_utc(joined), faculty(unit_id))
        for uid, email, locale, joined, unit_id in rows
    }
