"""Quiz answers a test-taker could guess without knowing the subject.

When the correct option is the longest one in most questions of a pool, "pick the longest"
passes the quiz; when nearly every true/false statement is false, "answer false" does. The pack
loader's data is read as it is (plain data, any languages present), so the same check serves
``courses import`` and the bundled-pack test.
"""

from __future__ import annotations

from courses.packs.reading import PackError

#: True/false questions of a quiz below which their balance says nothing.
TRUE_FALSE_MIN = 4


def _correct_is_longest(question: dict, locale: str) -> bool:
    """The correct option is strictly longer than every other in ``locale`` (a tie gives nothing away)."""
    lengths = {o["id"]: len(o["text"][locale].strip()) for o in question["options"]}
    correct = lengths.pop(question["answer"])
    return all(correct > other for other in lengths.values())


def _longest_counts(questions: list[dict]) -> dict[str, int]:
    """Per language present in every option: in how many questions the correct option is the longest."""
    counts: dict[str, int] = {}
    for question in questions:
        locales = set.intersection(*(set(o["text"]) for o in question["options"]))
        for locale in sorted(locales):
            counts[locale] = counts.get(locale, 0) + _correct_is_longest(question, locale)
    return counts


def longest_answer_problems(data: dict) -> list[PackError]:
    """Pools whose correct answers are the longest option in more than half their single-choice questions."""
    problems = []
    for module in data.get("modules", []):
        pools: dict[str, list[dict]] = {}
        for question in module.get("questions", []):
            if question["kind"] == "single":
                pools.setdefault(question["pool"], []).append(question)
        for pool, questions in pools.items():
            counts = _longest_counts(questions)
            worst = max(counts.values(), default=0)
            if worst * 2 > len(questions):
                by_locale = ", ".join(f"{locale} {n}" for locale, n in counts.items())
                problems.append(
                    PackError(
                        f"{data['slug']}/{module['key']}.quiz.yaml",
                        None,
                        f"pool “{pool}”: the correct answer is the longest option in {worst} of "
                        f"{len(questions)} single-choice questions ({by_locale})",
                    )
                )
    return problems


def true_false_problems(data: dict) -> list[PackError]:
    """Quizzes where more than two thirds of the true/false statements share one answer."""
    problems = []
    for module in data.get("modules", []):
        answers = [q["answer"] for q in module.get("questions", []) if q["kind"] == "truefalse"]
        false = answers.count(False)
        majority = max(false, len(answers) - false)
        if len(answers) >= TRUE_FALSE_MIN and majority * 3 > len(answers) * 2:
            problems.append(
                PackError(
                    f"{data['slug']}/{module['key']}.quiz.yaml",
                    None,
                    f"{false} of {len(answers)} true/false statements are false: answering one way mostly passes",
                )
            )
    return problems
