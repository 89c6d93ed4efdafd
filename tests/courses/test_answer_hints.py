"""Quizzes that can be passed by picking the longest option or by answering "false": warned, refused under --strict."""

import shutil

from sqlalchemy import func, select

from courses.models import Course
from courses.packs.answer_hints import longest_answer_problems, true_false_problems
from courses.packs.validating import load_pack

from .test_packs import SAMPLE

# In the sample's only single-choice question the correct "Refuse" is the longest option in kk and ru.
WARNING = (
    "Warning: sample-course/final-quiz.quiz.yaml: pool “scenarios”: the correct answer is the longest option"
    " in 1 of 1 single-choice questions (en 0, kk 1, ru 1)"
)


def _pack(tmp_path, old: str = "", new: str = ""):
    """A copy of the sample pack with one replacement in its quiz."""
    folder = tmp_path / "sample-course"
    shutil.copytree(SAMPLE, folder)
    quiz = folder / "final-quiz.quiz.yaml"
    text = quiz.read_text()
    assert old in text
    quiz.write_text(text.replace(old, new, 1))
    return folder


def _courses(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Course))


def test_a_pool_answered_by_its_longest_options_is_a_warning(runner, db, tmp_path):
    result = runner.invoke(args=["courses", "import", str(_pack(tmp_path))])
    assert result.exit_code == 0, result.output
    assert WARNING in result.output
    assert _courses(db) == 1


def test_under_strict_it_is_an_error_and_nothing_is_imported(runner, db, tmp_path):
    result = runner.invoke(args=["courses", "import", str(_pack(tmp_path)), "--strict"])
    assert result.exit_code == 1
    assert WARNING.removeprefix("Warning: ") in result.output
    assert "Warning:" not in result.output
    assert "nothing was imported" in result.output
    assert _courses(db) == 0


def test_a_balanced_pool_passes_strict_without_a_warning(runner, db, tmp_path):
    longer_wrong = '{kk: "Қабылдап, алғыс айту", ru: "Принять и поблагодарить", en: "Accept and say thanks"}'
    folder = _pack(tmp_path, '{kk: "Қабылдау", ru: "Принять", en: "Accept"}', longer_wrong)
    result = runner.invoke(args=["courses", "import", str(folder), "--strict"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output
    assert _courses(db) == 1


def test_true_false_statements_that_are_mostly_false_are_reported(app):
    with app.app_context():
        data = load_pack(SAMPLE)
    quiz = data["modules"][1]
    statement = next(q for q in quiz["questions"] if q["kind"] == "truefalse")
    quiz["questions"] += [statement | {"key": f"s{n}", "answer": False} for n in range(3)]
    assert [str(p) for p in true_false_problems(data)] == [
        "sample-course/final-quiz.quiz.yaml: 3 of 4 true/false statements are false: answering one way mostly passes"
    ]
    quiz["questions"][-1]["answer"] = True
    assert true_false_problems(data) == []
    assert len(longest_answer_problems(data)) == 1
