"""Question statistics of a quiz, overall and per language: facility, discrimination, the wrong option chosen most.

The statistics are pure functions over per-attempt records (``AttemptRecord``: the language the
questions were shown in, the graded ``results`` and the ``answers`` as the attempt stores them),
so they are tested by hand without Flask: ``accumulate`` sums each (question, language) pair and
``finish`` turns the sums into figures. ``quiz_question_stats`` has the database make the same sums
(it unpacks the attempts' JSON far faster than Python parses it: streaming 50,000 attempts through
``json.loads`` and a Python loop took about 3 s, the SQL about 1 s), in three or four queries
whatever the number of attempts, and hands them to ``finish``.

Definitions (those of Moodle's quiz statistics, ``question/classes/statistics/questions/calculator.php``):

- *facility index*: the mean mark on the question as a share of its maximum (0–1 here; Moodle
  shows it as a percent). For a right/wrong question it is the share answering right.
- *discrimination index*: 100 × the correlation between the mark on the question and the mark on
  the rest of the attempt (the attempt's total minus this question), over the attempts that drew
  it: ``100 * cov(q, rest) / sqrt(var(q) * var(rest))``, ``None`` when either variance is 0
  (so also with fewer than 2 attempts). Moodle's random sub-questions correlate with the whole
  mark instead; every question here is drawn from a pool, and we use the rest of the attempt as
  Moodle does for fixed slots, so a question does not correlate with itself.

Marks are kept in hundredths of a point as integers (grading rounds points to 2 decimals), so
the sums are exact and a variance of 0 is exactly 0, not 1e-17 that would make a huge index.
Sums add up, so each (question, language) pair is accumulated once and the overall row is their sum.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import JSON, Integer, Text, cast, func, select, text, true, type_coerce
from sqlalchemy.orm import Session

from courses.models import Course, Module, Question, QuizAttempt
from courses.questions import question_type
from lms.config import LOCALES
from lms.database import localized

#: A language needs this many attempts at a question before its facility is compared with the
#: others': below it, a few unlucky learners would flag a good translation.
MIN_ATTEMPTS_PER_LANGUAGE = 10
#: A language whose facility is this far (0.25 = 25 percentage points) below the best other
#: language's is flagged as a likely translation problem. Learners of every language took the same
#: course, so a gap this large is rarely the learners; it is a prompt for an author to read the
#: translation, not a verdict: with only 10 attempts on each side chance alone now and then makes
#: such a gap (one standard error of the difference is up to 22 points there), so the table shows
#: the attempts behind each figure beside the badge.
TRANSLATION_GAP = 0.25
#: Question kinds whose options can be "the wrong option chosen most" (ordering and matching answers
#: are arrangements, not options).
CHOICE_KINDS = ("single", "multiple", "truefalse")


class AttemptRecord(NamedTuple):
    """One submitted attempt as the statistics need it (the shapes ``QuizAttempt`` stores)."""

    #: The language the questions were shown in (kk, ru, en), ``None`` for attempts before it was kept.
    locale: str | None
    #: {question id (str): {"correct": bool, "points": float}} for every question the attempt drew.
    results: Mapping[str, Mapping[str, Any]] | None
    #: {question id (str): the answer given}, only the questions answered.
    answers: Mapping[str, Any] | None


@dataclass(frozen=True)
class WrongOption:
    """The wrong option chosen most often in a group of attempts."""

    #: The option's id (``a``, ``b``…), or ``true``/``false`` for a true/false question.
    option_id: str
    #: How many attempts chose it.
    count: int
    #: ``count`` as a share of the group's attempts (0–1).
    share: float
    #: The option's text per locale; ``None`` for true/false (the page says "True" or "False").
    texts: Mapping[str, str] | None

    def text(self, locale: str) -> str | None:
        """The option's text in ``locale`` (falling back like every text); ``None`` for true/false."""
        return None if self.texts is None else localized(self.texts, locale)[0]


@dataclass(frozen=True)
class GroupStats:
    """The statistics of one question over one group of attempts: all of them, or one language's."""

    #: kk, ru or en; ``None`` for attempts of unknown language (or for the overall row, see ``overall``).
    locale: str | None
    attempts: int
    #: Mean share of the points earned, 0–1; ``None`` without attempts.
    facility: float | None
    #: Moodle's discrimination index, −100…100; ``None`` when it cannot be computed.
    discrimination: float | None
    #: The wrong option chosen most (choice questions only), ``None`` when nobody chose a wrong one.
    wrong: WrongOption | None
    #: True for the overall row, so a template tells it from the "unknown language" row.
    overall: bool = False
    #: This language's facility is far below another's (see ``TRANSLATION_GAP``).
    flagged: bool = False


@dataclass(frozen=True)
class QuestionStats:
    """Everything known about one question of the bank from the quiz's submitted attempts."""

    question_id: int
    key: str
    kind: str
    #: The question's text per locale (for a dashboard's table; the editor has the question).
    text: Mapping[str, str]
    overall: GroupStats
    #: One row per language that has attempts, in the order kk, ru, en, then unknown.
    languages: list[GroupStats] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return self.overall.attempts

    @property
    def flagged_locales(self) -> list[str]:
        """The languages whose learners fail this question far more than the others'."""
        return [g.locale for g in self.languages if g.flagged]

    @property
    def flagged(self) -> bool:
        return any(g.flagged for g in self.languages)


def centipoints(points: Any) -> int:
    """A mark in hundredths of a point, an exact integer (grading rounds points to 2 decimals)."""
    return round(float(points or 0) * 100)


def facility(total_marks: float, attempts: int, max_mark: float) -> float | None:
    """Mean mark as a share of the maximum: ``total / attempts / max``; ``None`` without attempts or points."""
    if attempts <= 0 or max_mark <= 0:
        return None
    return total_marks / attempts / max_mark


def discrimination_index(n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float) -> float | None:
    """Moodle's discrimination index from the sums of marks ``x`` (question) and ``y`` (rest of attempt).

    ``100 * cov(x, y) / sqrt(var(x) * var(y))``. With sample (co)variances ``S/(n-1)`` the ``n(n-1)``
    of each cancels, which leaves ``(n·Σxy − Σx·Σy) / sqrt((n·Σx² − (Σx)²)(n·Σy² − (Σy)²))``;
    ``None`` when a variance is 0 (so always for fewer than 2 attempts), as Moodle.
    """
    if n < 2:
        return None
    var_x = n * sxx - sx * sx
    var_y = n * syy - sy * sy
    if var_x <= 0 or var_y <= 0:
        return None
    return 100 * (n * sxy - sx * sy) / math.sqrt(var_x * var_y)


def wrong_choices(kind: str, key: Any, given: Any) -> list[str]:
    """The wrong options in one answer: the chosen option ids that are not in the key.

    Single choice: the chosen id if it is not the key. Multiple choice: each chosen id outside the
    key. True/false: ``"true"`` or ``"false"`` when it is not the key. An empty answer chose nothing.
    """
    if given is None:
        return []
    if kind == "single":
        return [] if str(given) == key else [str(given)]
    if kind == "multiple":
        chosen = given if isinstance(given, list) else [given]
        return [str(oid) for oid in chosen if str(oid) not in key]
    if kind == "truefalse":
        return [] if bool(given) == key else ["true" if given else "false"]
    return []


def translation_flags(groups: Mapping[str, tuple[int, float | None]]) -> set[str]:
    """The languages whose facility is at least ``TRANSLATION_GAP`` below the best other language's.

    ``groups`` maps a language to its (attempts, facility). Only languages with at least
    ``MIN_ATTEMPTS_PER_LANGUAGE`` attempts take part, on either side of the comparison; attempts of
    unknown language (``None``) never do, since they mix every language.
    """
    eligible = {
        locale: value
        for locale, (attempts, value) in groups.items()
        if locale is not None and value is not None and attempts >= MIN_ATTEMPTS_PER_LANGUAGE
    }
    flagged = set()
    for locale, value in eligible.items():
        others = [v for other, v in eligible.items() if other != locale]
        # A small epsilon: 0.75 − 0.5 is exactly the gap, and floats must not decide that it is not.
        if others and max(others) - value >= TRANSLATION_GAP - 1e-9:
            flagged.add(locale)
    return flagged


class _Sums:
    """Running sums of one (question, language) pair: marks, rest-of-attempt marks, wrong choices."""

    __slots__ = ("n", "sx", "sxx", "sxy", "sy", "syy", "wrong")

    def __init__(self):
        self.n = self.sx = self.sy = self.sxx = self.syy = self.sxy = 0
        self.wrong: Counter[str] = Counter()

    def add(self, x: int, y: int) -> None:
        self.n += 1
        self.sx += x
        self.sy += y
        self.sxx += x * x
        self.syy += y * y
        self.sxy += x * y

    def merge(self, other: _Sums) -> None:
        for name in ("n", "sx", "sy", "sxx", "syy", "sxy"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.wrong.update(other.wrong)


def _wrong_option(question, counts: Counter, attempts: int) -> WrongOption | None:
    """The most chosen wrong option; a tie goes to the option listed first in the question."""
    if not counts:
        return None
    if question.kind == "truefalse":
        order, texts = ["true", "false"], {}
    else:
        order = [str(o["id"]) for o in question.options or []]
        texts = {str(o["id"]): o.get("text") or {} for o in question.options or []}
    rank = {oid: i for i, oid in enumerate(order)}
    option_id = min(counts, key=lambda oid: (-counts[oid], rank.get(oid, len(rank)), oid))
    return WrongOption(
        option_id=option_id,
        count=counts[option_id],
        share=counts[option_id] / attempts if attempts else 0.0,
        texts=None if question.kind == "truefalse" else texts.get(option_id, {}),
    )


def _group(question, sums: _Sums, locale: str | None, overall: bool = False) -> GroupStats:
    return GroupStats(
        locale=locale,
        attempts=sums.n,
        facility=facility(sums.sx, sums.n, centipoints(question.points)),
        discrimination=discrimination_index(sums.n, sums.sx, sums.sy, sums.sxx, sums.syy, sums.sxy),
        wrong=_wrong_option(question, sums.wrong, sums.n),
        overall=overall,
    )


def _language_order(locale: str | None) -> int:
    return LOCALES.index(locale) if locale in LOCALES else len(LOCALES)


def accumulate(questions: Sequence, attempts: Iterable[AttemptRecord]) -> dict[tuple[str, str | None], _Sums]:
    """The running sums of each (question id as str, language) pair over ``attempts``.

    Marks of questions an attempt drew that are not in ``questions`` still count in the rest of
    that attempt (they counted in its score), but get no sums of their own.
    """
    by_id = {str(q.id): q for q in questions}
    choice_keys = {qid: question_type(q.kind).key(q) for qid, q in by_id.items() if q.kind in CHOICE_KINDS}
    sums: dict[tuple[str, str | None], _Sums] = {}
    for locale, results, answers in attempts:
        if not results:
            continue
        marks = {qid: centipoints(result.get("points")) for qid, result in results.items()}
        total = sum(marks.values())
        for qid, x in marks.items():
            if qid not in by_id:
                continue
            cell = sums.get((qid, locale))
            if cell is None:
                cell = sums[(qid, locale)] = _Sums()
            cell.add(x, total - x)
            if qid in choice_keys and answers:
                cell.wrong.update(wrong_choices(by_id[qid].kind, choice_keys[qid], answers.get(qid)))
    return sums


def finish(questions: Sequence, sums: Mapping[tuple[str, str | None], _Sums]) -> dict[int, QuestionStats]:
    """Each question's statistics from the sums of its (question, language) pairs, by id in the given order."""
    per_question: dict[str, dict[str | None, _Sums]] = {}
    for (qid, locale), cell in sums.items():
        per_question.setdefault(qid, {})[locale] = cell
    stats = {}
    for question in questions:
        cells = per_question.get(str(question.id), {})
        everything = _Sums()
        for cell in cells.values():
            everything.merge(cell)
        groups = {locale: _group(question, cell, locale) for locale, cell in cells.items()}
        flags = translation_flags({locale: (g.attempts, g.facility) for locale, g in groups.items()})
        stats[question.id] = QuestionStats(
            question_id=question.id,
            key=question.key,
            kind=question.kind,
            text=question.text or {},
            overall=_group(question, everything, None, overall=True),
            languages=[
                dataclasses.replace(groups[locale], flagged=True) if locale in flags else groups[locale]
                for locale in sorted(cells, key=_language_order)
            ],
        )
    return stats


def compute_stats(questions: Sequence, attempts: Iterable[AttemptRecord]) -> dict[int, QuestionStats]:
    """The statistics of each question of ``questions`` over ``attempts``, keyed by question id in bank order.

    ``questions`` are ``Question`` rows or anything with ``id``, ``key``, ``kind``, ``points``,
    ``options``, ``answer`` and ``text``. A question no attempt drew has 0 attempts and no figures.
    """
    return finish(questions, accumulate(questions, attempts))


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


def _sums_in_sql(session: Session, module_id: int, qids: set[str]) -> dict[tuple[str, str | None], _Sums]:
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
            cell = sums[(qid, locale)] = _Sums()
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
