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
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from courses.authoring import versioning
from courses.certificates.issuing import issue_certificate
from courses.learning import grading, progress, quiz
from courses.models import (
    Assignment,
    Attestation,
    Course,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Module,
    ModuleKind,
    ModuleProgress,
    QuizAttempt,
)
from courses.questions import question_type
from lms.database import as_utc, utcnow
from lms.demo import YEAR_STARTED_DAYS
from lms.models import AuditEvent, OrgUnit, Role, User, UserRole

DEMO_SEED = 2026
CODE_OF_ETHICS = "code-of-ethics"
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
#: Share of enrolments left undone without more chasing, per faculty (top-level unit code).
STALLING = {"FIT": 0.05, "FEB": 0.14, "FEN": 0.27, "FLH": 0.18, "ADM": 0.08}
#: Last year's round was chased to the end: almost everyone signed.
LAST_YEAR_STALLING = 0.02
#: A few learners whose courses show every state on "My learning": (e-mail prefix, course) → outcome.
SHOWCASE = {
    ("student01", CODE_OF_ETHICS): "completed",
    ("student01", "academic-integrity"): "started",
    ("student01", "reporting-corruption"): "fresh",
    ("staff01", CODE_OF_ETHICS): "completed",
    ("staff01", "anti-corruption-law-staff"): "started",
    ("staff01", "reporting-corruption"): "completed",
}
COMPLETED, STARTED, FRESH = "completed", "started", "fresh"
#: The longest sitting a story has (six lessons, three timed attempts, a pause to re-read a lesson):
#: every history ends at least this long after enrolment and before the present.
LONGEST_SITTING = timedelta(hours=6)


@dataclass
class Person:
    id: int
    email: str
    locale: str
    joined: datetime
    faculty: str

    @property
    def sets_the_example(self) -> bool:
        """Deans and the office finish their own courses first (and no faculty lags behind its dean)."""
        return not self.email.startswith(("student", "staff"))


@dataclass
class Story:
    """One enrolment's history, collected before it is written."""

    person: Person
    course: Course
    cycle: int
    enrolled_at: datetime
    due_at: datetime
    enrolment_id: int | None = None
    status: str = EnrolmentStatus.NOT_STARTED
    started_at: datetime | None = None
    completed_at: datetime | None = None
    score: int | None = None
    valid_until: datetime | None = None
    last_module_id: int | None = None
    progress: dict[int, dict] = field(default_factory=dict)
    attempts: list[dict] = field(default_factory=list)
    attestations: list[dict] = field(default_factory=list)

    def values(self) -> dict:
        """The enrolment's columns as the player leaves them."""
        return {
            "course_id": self.course.id,
            "cycle": self.cycle,
            "status": self.status,
            "enrolled_at": self.enrolled_at,
            "due_at": self.due_at,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            "score": self.score,
            "valid_until": self.valid_until,
            "last_module_id": self.last_module_id,
        }


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
            stories += _two_editions(rng, person, course, previous.course, start, enrolment_id, now)
            continue
        story = _story(rng, person, course, 1, start, now, outcome=_showcase(person, slug))
        story.enrolment_id = enrolment_id
        stories.append(story)
    _write(session, stories, now)
    _issue_certificates(session, rng, stories, now)


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


def _showcase(person: Person, slug: str) -> str | None:
    return SHOWCASE.get((person.email.split("@")[0], slug))


# --- Stories ------------------------------------------------------------------------------------


def _two_editions(rng, person, current: Course, previous: Course, start, enrolment_id, now) -> list[Story]:
    """Last year's signature of the old edition; a renewal on this year's the day it expired."""
    first = _story(rng, person, previous, 1, start, now, stalling=LAST_YEAR_STALLING)
    if first.valid_until is None or first.valid_until > now:
        first.enrolment_id = enrolment_id  # still valid (or never finished): no renewal yet
        return [first]
    renewal = _story(rng, person, current, 2, first.valid_until, now, outcome=_showcase(person, CODE_OF_ETHICS))
    renewal.enrolment_id = enrolment_id
    return [first, renewal]


def _story(rng, person, course, cycle, enrolled_at, now, *, outcome=None, stalling=None) -> Story:
    """When the person finishes (early, at the deadline, late, not yet), and the steps on the way."""
    due_at = enrolled_at + timedelta(days=30)
    story = Story(person, course, cycle, enrolled_at, due_at)
    stalling = STALLING.get(person.faculty, 0.1) if stalling is None else stalling
    delay = _delay_days(rng, stalling)
    if person.sets_the_example:
        delay = rng.uniform(0.2, 4)
    elapsed = (now - enrolled_at).total_seconds() / 86400
    room = elapsed - LONGEST_SITTING / timedelta(days=1)  # days in which a sitting ends before now
    if outcome is None:
        if delay is not None and delay < room:
            outcome = COMPLETED
        elif elapsed > 1 and ((delay is None and rng.random() < 0.55) or (delay is not None and elapsed > 0.4 * delay)):
            outcome = STARTED
        else:
            outcome = FRESH
    if outcome != FRESH and room <= 0:
        outcome = FRESH  # enrolled only hours ago
    if outcome == COMPLETED:
        delay = delay if delay is not None and delay < room else rng.uniform(0, min(room, 6))
        _complete(rng, story, _daytime(rng, enrolled_at + timedelta(days=delay), enrolled_at, now))
    elif outcome == STARTED:
        last = enrolled_at + timedelta(days=rng.uniform(0.3, 0.95) * elapsed)
        _start(rng, story, _daytime(rng, last, enrolled_at, now), must_fail=_showcase(person, course.slug) == STARTED)
    return story


def _delay_days(rng: random.Random, stalling: float) -> float | None:
    """Days from enrolment to completion: in the first week, near the due date, after it, or never."""
    if rng.random() < stalling:
        return None
    r = rng.random()
    if r < 0.3:
        return rng.uniform(0.05, 7)
    if r < 0.5:
        return rng.uniform(7, 25)
    if r < 0.77:
        return 30 - min(5.0, rng.expovariate(1 / 2))
    return 30 + rng.expovariate(1 / 12)


def _daytime(rng: random.Random, moment: datetime, enrolled_at: datetime, now: datetime) -> datetime:
    """``moment`` moved to a waking hour in Almaty (08:00–21:00, UTC+5), after the enrolment and a
    sitting's length before ``now`` (so the steps that follow it are all in the past)."""
    moved = moment.replace(hour=rng.randint(3, 15), minute=rng.randint(0, 59), second=rng.randint(0, 59))
    return min(max(moved, enrolled_at + timedelta(minutes=5)), now - LONGEST_SITTING)


def _complete(rng: random.Random, story: Story, finish: datetime) -> None:
    """Every module done in order, the last step at about ``finish``: the course completed."""
    course = story.course
    minutes = rng.uniform(30, 75)
    start = finish - timedelta(minutes=minutes)
    if rng.random() < 0.35:  # lessons read on an earlier day
        start -= timedelta(days=rng.uniform(0, max(0.0, (start - story.enrolled_at).total_seconds() / 86400)))
    start = max(start, story.enrolled_at + timedelta(minutes=5))
    moment = _Clock(rng, start)
    for module in course.modules:
        if module.kind == ModuleKind.LESSON:
            _read(story, module, moment.step(4, 12))
        elif module.kind == ModuleKind.QUIZ:
            pattern = rng.choices([["pass"], ["fail", "pass"], ["fail", "fail", "pass"]], weights=[68, 22, 10])[0]
            _take_quiz(rng, story, module, pattern, moment)
        elif module.kind == ModuleKind.ATTESTATION:
            _sign(story, module, moment.step(2, 6))
    story.status = EnrolmentStatus.COMPLETED
    story.completed_at = moment.now
    quiz_scores = [story.progress[m.id]["score"] for m in course.modules if m.kind == ModuleKind.QUIZ]
    story.score = grading.course_score(quiz_scores)
    months = course.validity_months
    story.valid_until = progress.add_months(story.completed_at, months) if months else None


def _start(rng: random.Random, story: Story, last: datetime, must_fail: bool = False) -> None:
    """Some modules done, up to ``last``; at the quiz, maybe failed attempts (a learner stuck there)."""
    modules = story.course.modules
    quiz_at = next((i for i, m in enumerate(modules) if m.kind == ModuleKind.QUIZ), len(modules))
    reach = quiz_at + 1 if must_fail else rng.randint(1, max(1, min(len(modules) - 1, quiz_at + 1)))
    start = max(story.enrolled_at + timedelta(minutes=5), last - timedelta(minutes=rng.uniform(10, 60)))
    moment = _Clock(rng, start)
    for module in modules[:reach]:
        if module.kind == ModuleKind.LESSON:
            _read(story, module, moment.step(4, 12))
        elif module.kind == ModuleKind.QUIZ:
            patterns = [[], ["fail"], ["fail", "fail"], ["fail", "fail", "fail"]]
            pattern = ["fail"] if must_fail else rng.choices(patterns, weights=[20, 45, 25, 10])[0]
            _take_quiz(rng, story, module, pattern, moment)
        elif module.kind == ModuleKind.ATTESTATION:
            _sign(story, module, moment.step(2, 6))
    if story.started_at is not None:
        story.status = EnrolmentStatus.IN_PROGRESS


class _Clock:
    """The time of a learner's next step: a few minutes after the last one."""

    def __init__(self, rng: random.Random, start: datetime):
        self.rng, self.now = rng, start

    def step(self, low: float, high: float) -> datetime:
        self.now += timedelta(minutes=self.rng.uniform(low, high))
        return self.now


def _visit(story: Story, module: Module, at: datetime) -> None:
    """As ``progress.visit``: the place to resume, and the start of the enrolment."""
    story.last_module_id = module.id
    if story.started_at is None:
        story.started_at = at


def _row(story: Story, module: Module) -> dict:
    return story.progress.setdefault(module.id, {"module_id": module.id, "completed_at": None, "failures": 0})


def _read(story: Story, module: Module, at: datetime) -> None:
    """As ``progress.mark_lesson_read``: read once; re-reading clears the failures of the quizzes it backs."""
    _visit(story, module, at)
    row = _row(story, module)
    row["completed_at"] = row["completed_at"] or at
    for other in story.course.modules:
        if other.kind == ModuleKind.QUIZ and progress.remedial_lesson(story.course, other) is module:
            if other.id in story.progress:
                story.progress[other.id]["failures"] = 0


def _sign(story: Story, module: Module, at: datetime) -> None:
    """As ``progress.accept_attestation``: this version of the document, its hash as shown, the time."""
    _visit(story, module, at)
    locale = story.person.locale
    text, text_locale = progress.document(module, locale, story.course.default_locale)
    story.attestations.append(
        {
            "module_id": module.id,
            "user_id": story.person.id,
            "document_version": progress.document_version(module),
            "document_sha256": progress.document_sha256(text),
            "locale": text_locale or locale,
            "accepted_at": at,
        }
    )
    _row(story, module)["completed_at"] = at


def _take_quiz(rng: random.Random, story: Story, module: Module, pattern: list[str], clock: _Clock) -> None:
    """Attempts as ``quiz.open_attempt`` and ``quiz.grade`` make them, re-reading the lesson when blocked."""
    settings = quiz.quiz_settings(module)
    if settings.max_attempts is not None:
        pattern = pattern[: settings.max_attempts]
    scores: list[int] = []
    for number, target in enumerate(pattern, 1):
        row = _row(story, module)
        blocked_by = progress.remedial_due(story.course, module, row["failures"])
        if blocked_by is not None:
            clock.step(30, 180)  # came back later and read it again
            _read(story, blocked_by, clock.step(3, 8))
        started = clock.step(1, 4)
        _visit(story, module, started)
        seed = rng.randrange(2**31)
        draw = quiz.make_draw(module, settings, seed)
        answers, results, score, passed = _answer(rng, module, draw, settings.pass_mark, target == "pass")
        submitted = clock.step(4, min(20, (settings.time_limit_s or 1800) / 60 - 1))
        story.attempts.append(
            {
                "module_id": module.id,
                "number": number,
                "seed": seed,
                "draw": draw,
                "started_at": started,
                "deadline_at": started + timedelta(seconds=settings.time_limit_s) if settings.time_limit_s else None,
                "submitted_at": submitted,
                "answers": answers,
                "results": results,
                "score": score,
                "passed": passed,
                "locale": story.person.locale,
            }
        )
        scores.append(score)
        # As ``progress.record_quiz_result``: the kept score, a failure counted, done once passed.
        row["score"] = grading.kept_score(scores, settings.grading)
        if not passed:
            row["failures"] += 1
        passed_now = grading.is_passed(row["score"], settings.pass_mark)
        row["completed_at"] = (row["completed_at"] or submitted) if passed_now else None
        if passed:
            break


def _answer(rng: random.Random, module: Module, draw: list[dict], pass_mark: int, to_pass: bool):
    """Answers in the form ``quiz.parse_answers`` returns them, graded as ``quiz.grade`` grades them."""
    questions = {q.id: q for q in module.questions}
    for tries in range(40):
        accuracy = rng.uniform(0.8, 1.0) if to_pass else rng.uniform(0.3, 0.75)
        if tries > 30:
            accuracy = 1.0 if to_pass else 0.0
        answers, results, earned = {}, {}, []
        for entry in draw:
            question = questions[entry["question_id"]]
            kind = question_type(question.kind)
            if not to_pass and rng.random() < 0.04:
                given = None  # left empty
            else:
                given = kind.key(question) if rng.random() < accuracy else kind.wrong(rng, question, kind.key(question))
            if given is not None:
                answers[str(question.id)] = given
            fraction = 0.0 if given is None else kind.score(question, given)
            results[str(question.id)] = {"correct": fraction >= 1.0, "points": round(question.points * fraction, 2)}
            earned.append((question.points, fraction))
        score = grading.attempt_score(earned)
        passed = grading.is_passed(score, pass_mark)
        if passed == to_pass:
            return answers, results, score, passed
    raise AssertionError(f"no answers of module {module.id} give passed={to_pass}")


# --- Writing ------------------------------------------------------------------------------------


def _write(session: Session, stories: list[Story], now: datetime) -> None:
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


def _issue_certificates(session: Session, rng: random.Random, stories: list[Story], now: datetime) -> None:
    """Render certificates for the showcase learners, some recent completions and a few expired ones."""
    done = [s for s in stories if s.status == EnrolmentStatus.COMPLETED]
    showcase = [s for s in done if any(s.person.email.startswith(f"{p}@") for p, _slug in SHOWCASE)]
    expired = [s for s in done if s.valid_until is not None and s.valid_until <= now]
    recent = [s for s in done if s not in showcase and s not in expired]
    chosen = showcase + rng.sample(expired, min(3, len(expired)))
    chosen += rng.sample(recent, min(len(recent), max(0, CERTIFICATES - len(chosen))))
    session.expire_all()  # the bulk updates went around the identity map
    for story in sorted(chosen, key=lambda s: s.completed_at):
        cert = issue_certificate(session, session.get(Enrolment, story.enrolment_id))
        session.execute(
            update(AuditEvent)
            .where(AuditEvent.action == "certificate.issue", AuditEvent.target_id == str(cert.id))
            .values(at=story.completed_at, actor_id=story.person.id)
        )
    session.flush()
