"""Grading rules and question types as pure functions: no Flask, no database."""

import random
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from courses.learning import grading
from courses.questions import QUESTION_TYPES, AnswerError, field_name, question_type
from tests.courses.builders import make_question

points = st.integers(min_value=0, max_value=10)
fractions = st.floats(min_value=-1, max_value=2, allow_nan=False)


def _question(kind: str, qid: int = 7, n_options: int = 3):
    question = make_question(qid, kind)
    ids = [chr(ord("a") + i) for i in range(n_options)]
    if question.options:
        template = question.options[0]
        question.options = [dict(template, id=i) for i in ids]
    if kind == "single":
        question.answer = ids[-1]
    elif kind == "multiple":
        question.answer = ids[::2]
    elif kind == "ordering":
        question.answer = list(reversed(ids))
    return SimpleNamespace(
        id=qid, kind=kind, options=question.options, answer=question.answer, text=question.text, points=1
    )


def _form_for(question, answer, entry) -> MultiDict:
    """The form a browser would send for ``answer`` (in the ``parse`` format) on the drawn page."""
    if question.kind == "single":
        return MultiDict({field_name(question.id): answer})
    if question.kind == "multiple":
        return MultiDict([(field_name(question.id), a) for a in answer])
    if question.kind == "truefalse":
        return MultiDict({field_name(question.id): "true" if answer else "false"})
    if question.kind == "ordering":
        return MultiDict({field_name(question.id, oid): str(rank) for rank, oid in enumerate(answer, 1)})
    places = {oid: str(place) for place, oid in enumerate(entry["options"], 1)}
    return MultiDict({field_name(question.id, left): places[right] for left, right in answer.items()})


def test_every_kind_is_registered():
    assert set(QUESTION_TYPES) == {"single", "multiple", "truefalse", "ordering", "matching"}


@given(st.lists(st.tuples(points, fractions), max_size=30))
def test_attempt_scores_stay_within_0_and_100(items):
    assert 0 <= grading.attempt_score(items) <= 100


@given(st.lists(points.filter(bool), min_size=1, max_size=30))
def test_all_right_is_100_and_all_wrong_is_0(weights):
    assert grading.attempt_score([(w, 1.0) for w in weights]) == 100
    assert grading.attempt_score([(w, 0.0) for w in weights]) == 0


def test_points_weigh_the_score():
    assert grading.attempt_score([(3, 1.0), (1, 0.0)]) == 75
    assert grading.attempt_score([]) == 0


@pytest.mark.parametrize(("score", "mark", "passed"), [(70, 70, True), (69, 70, False), (None, 0, False), (0, 0, True)])
def test_pass_mark(score, mark, passed):
    assert grading.is_passed(score, mark) is passed


@given(st.lists(st.integers(0, 100), min_size=1))
def test_highest_and_last(scores):
    assert grading.kept_score(scores, grading.HIGHEST) == max(scores)
    assert grading.kept_score(scores, grading.LAST) == scores[-1]


def test_kept_score_of_no_attempts_and_course_score():
    assert grading.kept_score([], grading.HIGHEST) is None
    assert grading.course_score([80, None, 91]) == 86
    assert grading.course_score([]) is None


bank_strategy = st.dictionaries(
    st.sampled_from(["basics", "scenarios", "law"]),
    st.lists(st.integers(1, 10_000), min_size=1, max_size=12, unique=True),
    min_size=1,
).filter(lambda bank: len({i for ids in bank.values() for i in ids}) == sum(len(ids) for ids in bank.values()))


@given(bank_strategy, st.integers(0, 2**31 - 1), st.integers(1, 5))
def test_the_same_seed_gives_the_same_draw(bank, seed, n):
    pools = [{"pool": name, "draw": n} for name in bank]
    first = grading.draw_questions(bank, pools, seed)
    assert first == grading.draw_questions(bank, pools, seed)
    assert len(first) == len(set(first)) == sum(min(n, len(ids)) for ids in bank.values())
    for ids in bank.values():
        assert len(set(first) & set(ids)) == min(n, len(ids))


def test_no_pools_means_the_whole_bank():
    bank = {"main": [1, 2, 3], "extra": [4]}
    assert sorted(grading.draw_questions(bank, [], seed=5)) == [1, 2, 3, 4]


def test_different_seeds_give_different_draws():
    bank = {"main": list(range(1, 31))}
    draws = {tuple(grading.draw_questions(bank, [{"pool": "main", "draw": 5}], seed)) for seed in range(20)}
    assert len(draws) > 15


kinds = st.sampled_from(sorted(QUESTION_TYPES))


@given(kinds, st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_shuffling_never_changes_what_is_correct(kind, n_options, seed):
    question = _question(kind, n_options=n_options)
    handler = question_type(kind)
    shown = handler.shuffle(question, random.Random(seed))
    assert sorted(shown) == (sorted(o["id"] for o in question.options) if question.options else [])
    entry = {"question_id": question.id, "options": shown}
    key = handler.key(question)
    assert handler.parse(_form_for(question, key, entry), question, entry) == key
    assert handler.score(question, key) == 1.0
    view = handler.present(question, entry, "en", "en")
    if kind == "matching":
        matches = {o["id"]: o["match"]["en"] for o in question.options}
        assert [o["text"] for o in view["options"]] == [matches[oid] for oid in shown]
    else:
        assert [o["id"] for o in view["options"]] == shown


@given(st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_a_matching_page_does_not_give_the_pairs_away(n_options, seed):
    """The right column's values are places in the shuffled column, never the left items' ids."""
    question = _question("matching", n_options=n_options)
    handler = question_type("matching")
    entry = {"question_id": question.id, "options": handler.shuffle(question, random.Random(seed))}
    view = handler.present(question, entry, "en", "en")
    values = {o["id"] for o in view["options"]}
    assert values == {str(place) for place in range(1, n_options + 1)}
    assert not values & {left["id"] for left in view["left"]}


@given(kinds, st.integers(2, 6), st.data())
def test_any_answer_scores_between_0_and_1(kind, n_options, data):
    question = _question(kind, n_options=n_options)
    ids = [o["id"] for o in question.options]
    if kind == "single":
        answer = data.draw(st.sampled_from(ids))
    elif kind == "multiple":
        answer = sorted(data.draw(st.sets(st.sampled_from(ids), min_size=1)))
    elif kind == "truefalse":
        answer = data.draw(st.booleans())
    elif kind == "ordering":
        answer = data.draw(st.permutations(ids))
    else:
        answer = data.draw(st.dictionaries(st.sampled_from(ids), st.sampled_from(ids), min_size=1))
    assert 0.0 <= question_type(kind).score(question, answer) <= 1.0


def test_the_page_view_has_no_key():
    for kind in QUESTION_TYPES:
        question = _question(kind)
        handler = question_type(kind)
        view = handler.present(question, {"options": handler.shuffle(question, random.Random(1))}, "en", "en")
        assert "answer" not in view and "explanation" not in view


@pytest.mark.parametrize(
    ("kind", "form"),
    [
        ("single", {"q7": "z"}),
        ("multiple", {"q7": "z"}),
        ("truefalse", {"q7": "maybe"}),
        ("ordering", {"q7-a": "9", "q7-b": "1", "q7-c": "2"}),
        ("ordering", {"q7-a": "x", "q7-b": "1", "q7-c": "2"}),
        ("matching", {"q7-a": "z"}),
    ],
)
def test_a_forged_answer_is_refused(kind, form):
    question = _question(kind)
    with pytest.raises(AnswerError):
        question_type(kind).parse(MultiDict(form), question, {"options": []})


@pytest.mark.parametrize("kind", sorted(QUESTION_TYPES))
def test_an_empty_answer_is_none_and_scores_0(kind):
    question = _question(kind)
    assert question_type(kind).parse(MultiDict(), question, {"options": []}) is None


def test_matching_gives_partial_credit_and_multiple_does_not():
    matching = _question("matching")
    assert question_type("matching").score(matching, {"a": "a", "b": "c", "c": "b"}) == pytest.approx(1 / 3)
    multiple = _question("multiple")
    assert question_type("multiple").score(multiple, ["a"]) == 0.0
