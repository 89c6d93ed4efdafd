"""Grading rules as pure functions: an attempt's score, pass or fail, the score a quiz keeps."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence

HIGHEST = "highest"
LAST = "last"
GRADING_RULES = (HIGHEST, LAST)


def attempt_score(earned: Iterable[tuple[float, float]]) -> int:
    """Percent (0–100) from ``(points, fraction earned)`` per question; an empty quiz scores 0."""
    earned = list(earned)
    total = sum(points for points, _ in earned)
    if total <= 0:
        return 0
    got = sum(points * min(max(fraction, 0.0), 1.0) for points, fraction in earned)
    return max(0, min(100, round(100 * got / total)))


def is_passed(score: int | None, pass_mark: int) -> bool:
    """A score passes when it reaches the pass mark."""
    return score is not None and score >= pass_mark


def kept_score(scores: Sequence[int], rule: str = HIGHEST) -> int | None:
    """The score a quiz keeps from its attempts' scores (in order): the best, or the last."""
    if not scores:
        return None
    return scores[-1] if rule == LAST else max(scores)


def course_score(quiz_scores: Sequence[int | None]) -> int | None:
    """The course's score: the average of its quizzes' kept scores (``None`` without quizzes)."""
    kept = [s for s in quiz_scores if s is not None]
    return round(sum(kept) / len(kept)) if kept else None


def draw_questions(bank: Mapping[str, Sequence[int]], pools: Sequence[Mapping], seed: int) -> list[int]:
    """The question ids an attempt shows: ``draw`` of each pool, chosen and ordered by ``seed``.

    ``bank`` maps a pool name to its question ids (in the bank's order); ``pools`` is the quiz's
    ``[{"pool": name, "draw": n}]``. No pools means every question of the bank. The same seed
    always gives the same draw.
    """
    rng = random.Random(seed)
    if not pools:
        pools = [{"pool": name, "draw": len(ids)} for name, ids in sorted(bank.items())]
    chosen: list[int] = []
    for spec in pools:
        ids = list(bank.get(spec["pool"], []))
        chosen.extend(rng.sample(ids, min(int(spec.get("draw") or len(ids)), len(ids))))
    rng.shuffle(chosen)
    return chosen
