"""Quiz attempts: draw from the pools with a stored seed, resume, time limit, submit and grade once."""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from courses.learning import grading, progress
from courses.models import Enrolment, EnrolmentStatus, Module, ModuleProgress, QuizAttempt
from courses.questions import AnswerError, question_type
from lms.database import as_utc, utcnow

#: Seconds a submit may arrive after the deadline (the page's own auto-submit, a slow network).
GRACE_S = 10
SHOW_ALWAYS, SHOW_PASSED, SHOW_NEVER = "always", "passed", "never"
_FIELD = re.compile(r"q(\d+)(?:-.+)?")


class QuizError(progress.ProgressError):
    """An attempt refused (to start or to submit), with the message to show."""


@dataclass(frozen=True)
class QuizSettings:
    pools: list
    time_limit_s: int | None
    max_attempts: int | None
    grading: str
    pass_mark: int
    show_answers: str


def quiz_settings(module: Module) -> QuizSettings:
    """A quiz module's settings with the course's defaults filled in."""
    s = module.settings or {}
    return QuizSettings(
        pools=list(s.get("pools") or []),
        time_limit_s=int(s["time_limit_s"]) if s.get("time_limit_s") else None,
        max_attempts=int(s["max_attempts"]) if s.get("max_attempts") else None,
        grading=s.get("grading") if s.get("grading") in grading.GRADING_RULES else grading.HIGHEST,
        pass_mark=int(s.get("pass_mark") or module.course.pass_mark),
        show_answers=s.get("show_answers") or SHOW_ALWAYS,
    )


def attempts_of(session: Session, enrolment: Enrolment, module: Module) -> list[QuizAttempt]:
    return list(
        session.scalars(
            select(QuizAttempt).filter_by(enrolment_id=enrolment.id, module_id=module.id).order_by(QuizAttempt.number)
        )
    )


def is_expired(attempt: QuizAttempt, now: datetime | None = None, grace_s: int = 0) -> bool:
    deadline = as_utc(attempt.deadline_at)
    return deadline is not None and (now or utcnow()) > deadline + timedelta(seconds=grace_s)


def seconds_left(attempt: QuizAttempt, now: datetime | None = None) -> int | None:
    deadline = as_utc(attempt.deadline_at)
    return None if deadline is None else max(0, int((deadline - (now or utcnow())).total_seconds()))


def start_refusal(session: Session, enrolment: Enrolment, module: Module, attempts: list[QuizAttempt]):
    """Why a new attempt may not start now (a message), or ``None`` when it may."""
    settings = quiz_settings(module)
    if enrolment.status == EnrolmentStatus.COMPLETED:
        return _l("You have completed this course; its quizzes are closed.")
    if enrolment.status == EnrolmentStatus.CANCELLED:
        return _l("This course is no longer assigned to you.")
    if settings.max_attempts is not None and len(attempts) >= settings.max_attempts:
        return _l("You have used all your attempts at this quiz. Please contact the compliance office.")
    failures = session.scalar(select(ModuleProgress.failures).filter_by(enrolment_id=enrolment.id, module_id=module.id))
    if progress.remedial_due(enrolment.course, module, failures or 0) is not None:
        return _l("Please read the lesson again before your next attempt.")
    return None


def open_attempt(
    session: Session, enrolment: Enrolment, module: Module, now: datetime | None = None, *, locale: str | None = None
) -> QuizAttempt:
    """Resume the attempt in progress, or start the next one if the rules allow (else ``QuizError``).

    ``locale`` is the language the questions are shown in (the learner's current one); the attempt
    keeps it, and a resumed attempt takes the language it is resumed in, so the question statistics
    per language count each attempt in the language it was answered in.
    """
    now = now or utcnow()
    attempts = attempts_of(session, enrolment, module)
    current = next((a for a in attempts if a.submitted_at is None), None)
    if current is not None:
        if not is_expired(current, now):
            if locale is not None:
                current.locale = locale
            return current
        close_expired(session, current, now, grace_s=0)  # abandoned for a new one: no grace
    refusal = start_refusal(session, enrolment, module, attempts)
    if refusal is not None:
        raise QuizError(refusal)
    settings = quiz_settings(module)
    seed = secrets.randbelow(2**31)
    attempt = QuizAttempt(
        enrolment_id=enrolment.id,
        module_id=module.id,
        number=len(attempts) + 1,
        seed=seed,
        draw=make_draw(module, settings, seed),
        started_at=now,
        deadline_at=now + timedelta(seconds=settings.time_limit_s) if settings.time_limit_s else None,
        locale=locale,
    )
    session.add(attempt)
    progress.visit(enrolment, module, now)
    session.flush()  # two tabs starting at once: the unique attempt number refuses the second
    return attempt


def make_draw(module: Module, settings: QuizSettings, seed: int) -> list[dict]:
    """The questions and option orders an attempt shows, all fixed by ``seed``."""
    bank: dict[str, list[int]] = {}
    for question in module.questions:
        bank.setdefault(question.pool, []).append(question.id)
    by_id = {q.id: q for q in module.questions}
    rng = random.Random(seed)
    return [
        {"question_id": qid, "options": question_type(by_id[qid].kind).shuffle(by_id[qid], rng)}
        for qid in grading.draw_questions(bank, settings.pools, seed)
    ]


def parse_answers(form, attempt: QuizAttempt, module: Module) -> dict[str, object]:
    """The answers in a submitted form, by question id; refuses fields of questions not drawn."""
    drawn = {entry["question_id"]: entry for entry in attempt.draw}
    for name in form.keys():
        match = _FIELD.fullmatch(name)
        if match and int(match[1]) not in drawn:
            raise QuizError(
                _l("The form had answers to questions that are not part of this attempt. Nothing was saved.")
            )
    questions = {q.id: q for q in module.questions}
    answers = {}
    for qid, entry in drawn.items():
        question = questions[qid]
        try:
            given = question_type(question.kind).parse(form, question, entry)
        except AnswerError:
            raise QuizError(_l("An answer was not one of the question's options. Nothing was saved.")) from None
        if given is not None:
            answers[str(qid)] = given
    return answers


def grade(session: Session, attempt: QuizAttempt, module: Module, answers: dict, now: datetime) -> bool:
    """Score and close the attempt, once: False when it was already closed (by another request)."""
    settings = quiz_settings(module)
    questions = {q.id: q for q in module.questions}
    results, earned = {}, []
    for entry in attempt.draw:
        question = questions[entry["question_id"]]
        given = answers.get(str(question.id))
        fraction = 0.0 if given is None else question_type(question.kind).score(question, given)
        results[str(question.id)] = {"correct": fraction >= 1.0, "points": round(question.points * fraction, 2)}
        earned.append((question.points, fraction))
    score = grading.attempt_score(earned)
    passed = grading.is_passed(score, settings.pass_mark)
    closed = session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
        .values(submitted_at=now, answers=answers, results=results, score=score, passed=passed)
        .execution_options(synchronize_session=False)
    )
    session.refresh(attempt)
    if closed.rowcount != 1:
        return False
    enrolment = session.get(Enrolment, attempt.enrolment_id)
    scores = [a.score for a in attempts_of(session, enrolment, module) if a.submitted_at is not None]
    kept = grading.kept_score(scores, settings.grading)
    progress.record_quiz_result(
        session, enrolment, module, passed=passed, kept=kept, pass_mark=settings.pass_mark, now=now
    )
    return True


def close_expired(session: Session, attempt: QuizAttempt, now: datetime | None = None, grace_s: int = GRACE_S) -> bool:
    """Close an attempt whose time ran out without a submit: it counts, with no answers."""
    now = now or utcnow()
    if attempt.submitted_at is not None or not is_expired(attempt, now, grace_s):
        return False
    return grade(session, attempt, session.get(Module, attempt.module_id), {}, now)


def submit_attempt(session: Session, attempt: QuizAttempt, form, now: datetime | None = None) -> QuizAttempt:
    """Grade a submitted form once; refuses a second submit, a late one and forged answers."""
    now = now or utcnow()
    already = _l("This attempt was already submitted. It was graded once; see the result below.")
    if attempt.submitted_at is not None:
        raise QuizError(already)
    if close_expired(session, attempt, now):
        raise QuizError(_l("The time limit had passed, so the answers could not be accepted. The attempt is closed."))
    module = session.get(Module, attempt.module_id)
    answers = parse_answers(form, attempt, module)
    if not grade(session, attempt, module, answers, now):
        raise QuizError(already)
    return attempt


def answers_visible(settings: QuizSettings, attempt: QuizAttempt, module_passed: bool) -> bool:
    """Whether the result page may show the correct answers (the office's ``show_answers``)."""
    if attempt.submitted_at is None:
        return False
    if settings.show_answers == SHOW_NEVER:
        return False
    if settings.show_answers == SHOW_PASSED:
        return bool(attempt.passed or module_passed)
    return True
