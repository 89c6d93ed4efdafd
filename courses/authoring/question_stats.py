"""Question statistics of a quiz from its submitted attempts in the database, for the dashboard and the editor.

``quiz_question_stats`` has the database make the sums ``item_analysis.accumulate`` makes from
records (it unpacks the attempts' JSON far faster than Python parses it: streaming 50,000
attempts through ``json.loads`` and a Python loop took about 3 s, the SQL about 1 s), in three or
four queries whatever the number of attempts, and hands them to ``item_analysis.finish``, where the
figures and their definitions are.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import JSON, Integer, Text, cast, func, select, text, true, type_coerce
from sqlalchemy.orm import Session

from courses.authoring.item_analysis import CHOICE_KINDS, QuestionStats, Sums, finish, wrong_choices
from courses.models import Course, Module, Question, QuizAttempt
from courses.questions import question_type


def quiz_question_stats(session: Session, module_id: int) -> dict[int, QuestionStats]:
    """The statistics of every question of a quiz module over its submitted attempts, by question id.

    Returns ``{question id: QuestionStats}`` in the bank's order (position), every question of the
    bank included, also those never drawn (0 attempts, figures ``None``). Each ``QuestionStats`` has
    ``overall`` (all attempts) and ``languages`` (one ``GroupStats`` per language answered in, kk, ru,
    en, then ``locale=None`` for attempts from before the language was kept), each with
    ``attempts``, ``facility`` (0–1), ``discrimination`` (−100…100 or ``None``), ``wrong`` (a
    ``WrongOption`` or ``None``) and ``flagged`` (likely translation problem); ``flagged_locales``
    lists those languages.

    Attempts of every learner count, whatever their unit: a unit head's share of a question's
    attempts says little about the question. Three queries whatever the number of attempts (four
    on PostgreSQL, which first turns JIT off for the transaction): the bank, the sums per
    (question, language), and the choice answers counted per (question, language, answer). The
    database unpacks the attempts' JSON and sums; what comes back is a few rows per question, the
    same sums ``accumulate`` makes from records (the tests hold the two equal). The page's text
    (``QuestionStats.text``, ``WrongOption.text(locale)``) is picked in the reader's language by
    the caller, so one result serves every reader.
    """
    questions = list(
        session.execute(
            select(
                Question.id,
                Question.key,
                Question.kind,
                Question.points,
                Question.options,
                Question.answer,
                Question.text,
            )
            .where(Question.module_id == module_id)
            .order_by(Question.position, Question.id)
        )
    )
    if not questions:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        # json_each is costed at 100 rows a call, so the planner thinks these queries are huge and
        # JIT-compiles them: over a second of compiling for a query that runs in a fraction of one.
        # LOCAL: only until this transaction ends.
        session.execute(text("SET LOCAL jit = off"))
    sums = _sums_in_sql(session, module_id, {str(q.id) for q in questions})
    choices = {str(q.id): q for q in questions if q.kind in CHOICE_KINDS}
    if choices:
        _count_wrong_in_sql(session, module_id, choices, sums)
    return finish(questions, sums)


def _submitted(module_id: int) -> tuple:
    """A quiz's submitted attempts: ``grade`` has written their ``results`` and ``answers`` objects."""
    return QuizAttempt.module_id == module_id, QuizAttempt.submitted_at.is_not(None)


def _sums_in_sql(session: Session, module_id: int, qids: set[str]) -> dict[tuple[str, str | None], Sums]:
    """``accumulate``'s sums, computed by the database from the attempts' ``results`` (one query)."""
    entry = func.json_each(QuizAttempt.results).table_valued("key", "value")
    points = type_coerce(entry.c.value, JSON)["points"].as_float()
    x = cast(func.round(func.coalesce(points, 0) * 100), Integer)
    marks = (
        select(QuizAttempt.id.label("attempt_id"), QuizAttempt.locale, entry.c.key.label("qid"), x.label("x"))
        .select_from(QuizAttempt)
        .join(entry, true())
        .where(*_submitted(module_id))
        .cte("marks")
    )
    totals = select(marks.c.attempt_id, func.sum(marks.c.x).label("total")).group_by(marks.c.attempt_id).cte("totals")
    rest = totals.c.total - marks.c.x
    query = (
        select(
            marks.c.qid,
            marks.c.locale,
            func.count(),
            func.sum(marks.c.x),
            func.sum(rest),
            func.sum(marks.c.x * marks.c.x),
            func.sum(rest * rest),
            func.sum(marks.c.x * rest),
        )
        .join_from(marks, totals, marks.c.attempt_id == totals.c.attempt_id)
        .group_by(marks.c.qid, marks.c.locale)
    )
    sums = {}
    for qid, locale, n, sx, sy, sxx, syy, sxy in session.execute(query):
        if qid in qids:
            cell = sums[(qid, locale)] = Sums()
            cell.n, cell.sx, cell.sy, cell.sxx, cell.syy, cell.sxy = (int(v) for v in (n, sx, sy, sxx, syy, sxy))
    return sums


def _count_wrong_in_sql(session: Session, module_id: int, choices: Mapping, sums: dict) -> None:
    """Add the wrong options chosen to ``sums``: the database counts each distinct answer (one query).

    Choice answers take few distinct values (an option id, a set of ids, true or false), so Python
    reads each distinct one once with its count.
    """
    entry = func.json_each(QuizAttempt.answers).table_valued("key", "value")
    if session.get_bind().dialect.name == "sqlite":
        given = func.json_quote(entry.c.value)  # SQLite gives a string answer unquoted: quote it back
    else:
        given = cast(entry.c.value, Text)
    query = (
        select(entry.c.key, QuizAttempt.locale, given, func.count())
        .select_from(QuizAttempt)
        .join(entry, true())
        .where(*_submitted(module_id), entry.c.key.in_(list(choices)))
        .group_by(entry.c.key, QuizAttempt.locale, given)
    )
    keys = {qid: question_type(q.kind).key(q) for qid, q in choices.items()}
    for qid, locale, answer, count in session.execute(query):
        cell = sums.get((qid, locale))
        if cell is None or answer is None:
            continue
        for option_id in wrong_choices(choices[qid].kind, keys[qid], json.loads(answer)):
            cell.wrong[option_id] += count


@dataclass(frozen=True)
class EditorStats:
    """What the question editor shows: a question's statistics and the course version they come from."""

    stats: QuestionStats
    #: The course version whose learners made the attempts (a draft has none of its own).
    version: int
    #: True when ``version`` is the version being edited (else an earlier, published one).
    same_version: bool


def stats_for_editor(session: Session, question: Question) -> EditorStats | None:
    """The statistics an author sees on a question in the editor, or ``None`` when nobody answered it yet.

    Learners answer published versions, while authors edit a draft copy whose questions have no
    attempts of their own, so this takes the same question (same quiz key and question key) in the
    newest version, up to the one being edited, that has submitted attempts. Two queries to find
    it, then ``quiz_question_stats``.
    """
    module = session.get(Module, question.module_id)
    course = session.get(Course, module.course_id)
    found = session.execute(
        select(Question.id, Question.module_id, Course.version)
        .join(Module, Module.id == Question.module_id)
        .join(Course, Course.id == Module.course_id)
        .where(
            Course.slug == course.slug,
            Course.version <= course.version,
            Module.key == module.key,
            Question.key == question.key,
            select(QuizAttempt.id)
            .where(QuizAttempt.module_id == Module.id, QuizAttempt.submitted_at.is_not(None))
            .exists(),
        )
        .order_by(Course.version.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    stats = quiz_question_stats(session, found.module_id).get(found.id)
    if stats is None or not stats.attempts:
        return None
    return EditorStats(stats=stats, version=found.version, same_version=found.version == course.version)
