"""The arithmetic of question statistics: facility, discrimination, the wrong option chosen most, per language.

Pure functions over per-attempt records (``AttemptRecord``: the language the questions were shown
in, the graded ``results`` and the ``answers`` as the attempt stores them), so they are tested by
hand without Flask or a database: ``accumulate`` sums each (question, language) pair and ``finish``
turns the sums into figures. ``courses.authoring.question_stats`` has the database make the same
sums and hands them to ``finish``.

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
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from courses.questions import QUESTION_TYPES, question_type
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
#: Question kinds whose options can be "the wrong option chosen most" (``QuestionType.picks_options``).
CHOICE_KINDS = tuple(kind for kind, kind_type in QUESTION_TYPES.items() if kind_type.picks_options)


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
    def counts_wrong_choices(self) -> bool:
        """Whether "the wrong option chosen most" means something for this question's type."""
        return self.kind in CHOICE_KINDS

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
    """The wrong options in one answer, as its question type counts them; an empty answer chose nothing."""
    return [] if given is None else question_type(kind).wrong_choices(key, given)


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


class Sums:
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

    def merge(self, other: Sums) -> None:
        for name in ("n", "sx", "sy", "sxx", "syy", "sxy"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.wrong.update(other.wrong)


def _wrong_option(question, counts: Counter, attempts: int) -> WrongOption | None:
    """The most chosen wrong option; a tie goes to the option listed first in the question."""
    if not counts:
        return None
    statement = not question_type(question.kind).has_options  # its picks are "true" and "false"
    if statement:
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
        texts=None if statement else texts.get(option_id, {}),
    )


def _group(question, sums: Sums, locale: str | None, overall: bool = False) -> GroupStats:
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


def accumulate(questions: Sequence, attempts: Iterable[AttemptRecord]) -> dict[tuple[str, str | None], Sums]:
    """The running sums of each (question id as str, language) pair over ``attempts``.

    Marks of questions an attempt drew that are not in ``questions`` still count in the rest of
    that attempt (they counted in its score), but get no sums of their own.
    """
    by_id = {str(q.id): q for q in questions}
    choice_keys = {qid: question_type(q.kind).key(q) for qid, q in by_id.items() if q.kind in CHOICE_KINDS}
    sums: dict[tuple[str, str | None], Sums] = {}
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
                cell = sums[(qid, locale)] = Sums()
            cell.add(x, total - x)
            if qid in choice_keys and answers:
                cell.wrong.update(wrong_choices(by_id[qid].kind, choice_keys[qid], answers.get(qid)))
    return sums


def finish(questions: Sequence, sums: Mapping[tuple[str, str | None], Sums]) -> dict[int, QuestionStats]:
    """Each question's statistics from the sums of its (question, language) pairs, by id in the given order."""
    per_question: dict[str, dict[str | None, Sums]] = {}
    for (qid, locale), cell in sums.items():
        per_question.setdefault(qid, {})[locale] = cell
    stats = {}
    for question in questions:
        cells = per_question.get(str(question.id), {})
        everything = Sums()
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
