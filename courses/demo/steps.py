"""A demo learner's steps through a course, taken as the course player takes them, before any row is written.

Apart from the seeding (``courses.demo.history``) because this is the simulation: when each person finishes
or stalls, and each lesson read, quiz attempt and signature on the way, computed with the player's
own functions (draws, grading, document hashes). ``courses.demo.rows`` then writes the stories.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from courses.learning import grading, progress, quiz
from courses.models import Course, EnrolmentStatus, Module, ModuleKind
from courses.questions import question_type

CODE_OF_ETHICS = "code-of-ethics"
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


def showcase(person: Person, slug: str) -> str | None:
    """The outcome a showcase learner's course must show, ``None`` for everyone else's."""
    return SHOWCASE.get((person.email.split("@")[0], slug))


def two_editions(rng, person, current: Course, previous: Course, start, enrolment_id, now) -> list[Story]:
    """Last year's signature of the old edition; a renewal on this year's the day it expired."""
    first = make_story(rng, person, previous, 1, start, now, stalling=LAST_YEAR_STALLING)
    if first.valid_until is None or first.valid_until > now:
        first.enrolment_id = enrolment_id  # still valid (or never finished): no renewal yet
        return [first]
    renewal = make_story(rng, person, current, 2, first.valid_until, now, outcome=showcase(person, CODE_OF_ETHICS))
    renewal.enrolment_id = enrolment_id
    return [first, renewal]


def make_story(rng, person, course, cycle, enrolled_at, now, *, outcome=None, stalling=None) -> Story:
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
        _start(rng, story, _daytime(rng, last, enrolled_at, now), must_fail=showcase(person, course.slug) == STARTED)
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
