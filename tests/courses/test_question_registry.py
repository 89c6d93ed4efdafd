"""One question-type registry: the pack rules, the export and the authoring form all ask the type.

A sixth type is one class: registered, it is a kind the pack rules accept, with its own answer rule.
"""

import random

import pytest

from courses.packs.exporting import pack_files
from courses.packs.validating import check_question
from courses.questions import QUESTION_TYPES, PackRuleBroken, SingleChoice, question_type, register


class Pick(SingleChoice):
    """A test's sixth type: a single choice whose answer must be the first option."""

    kind = "pick"

    def pack_answer(self, answer, ids):
        if answer != ids[0]:
            raise PackRuleBroken("the answer must be the first option")
        return answer


@pytest.fixture
def pick():
    register(Pick)
    yield question_type("pick")
    del QUESTION_TYPES["pick"]


def _entry(kind: str, **fields) -> dict:
    texts = {"ru": "Текст"}
    entry = {"key": "q", "pool": "main", "kind": kind, "text": texts, "explanation": texts, "points": 1}
    return entry | fields


OPTIONS = [{"id": "a", "text": {"ru": "А"}}, {"id": "b", "text": {"ru": "Б"}}]


def test_a_new_type_is_one_class_the_pack_rules_accept(pick):
    question, errors = check_question(_entry("pick", options=OPTIONS, answer="a"), "ru")
    assert errors == [] and question["answer"] == "a"
    _question, errors = check_question(_entry("pick", options=OPTIONS, answer="b"), "ru")
    assert errors == ["the answer must be the first option"]


def test_an_unregistered_kind_is_refused_with_the_registered_ones_named():
    _question, errors = check_question(_entry("pick", options=OPTIONS, answer="a"), "ru")
    assert errors == ["“kind” must be one of: single, multiple, truefalse, ordering, matching"]


@pytest.mark.parametrize("kind", sorted(QUESTION_TYPES))
def test_every_type_states_its_pack_and_form_rules(kind):
    qtype = question_type(kind)
    ids = ["a", "b"]
    answer = {"single": "a", "multiple": ["a"], "truefalse": True, "ordering": ["b", "a"], "matching": None}[kind]
    assert qtype.pack_answer(answer, ids) is not None
    rows = [({"id": i}, {"correct": True, "order": n}) for n, i in enumerate(ids, 1)] if qtype.has_options else []
    _answer, errors = qtype.form_answer(rows, "true")
    assert errors == [] or kind == "single"  # two marked options are one too many for a single choice
    assert qtype.wrong(random.Random(1), _Question(ids), qtype.pack_answer(answer, ids)) is not None


def test_the_export_leaves_out_only_what_the_type_derives():
    module = {"key": "quiz", "kind": "quiz", "title": {"ru": "Т"}, "settings": {}}
    questions = [
        _entry("matching", options=OPTIONS, answer={"a": "a", "b": "b"}),
        _entry("single", key="s", options=OPTIONS, answer="a"),
    ]
    files = pack_files({"slug": "c", "modules": [module | {"questions": questions}]})
    quiz = files["quiz.quiz.yaml"].decode()
    assert quiz.count("answer:") == 1


class _Question:
    def __init__(self, ids):
        self.options = [{"id": i} for i in ids]
