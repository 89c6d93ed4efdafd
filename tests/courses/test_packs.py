"""Course packs: loading with errors at file:line, importing all or nothing, exporting back, the CLI."""

import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses.models import Course, CourseStatus, Module, Question
from courses.packs.exporting import export_course
from courses.packs.importing import import_pack
from courses.packs.reading import PackInvalid, read_folder
from courses.packs.stored import files_dir
from courses.packs.validating import check_pack, load_pack

PACKS = Path(__file__).parent / "packs"
SAMPLE = PACKS / "sample-course"


def _errors(files, **kwargs) -> list[str]:
    with pytest.raises(PackInvalid) as info:
        check_pack(files, **kwargs)
    return [str(e) for e in info.value.errors]


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_sample_pack_loads_with_every_kind_of_question(app):
    with app.app_context():
        data = load_pack(SAMPLE, strict=True)
    assert data["slug"] == "sample-course"
    quiz = data["modules"][1]
    assert {q["kind"] for q in quiz["questions"]} == {"single", "multiple", "ordering", "truefalse", "matching"}
    matching = next(q for q in quiz["questions"] if q["kind"] == "matching")
    assert matching["answer"] == {"a": "a", "b": "b"}
    assert set(data["files"]) == {"files/diagram.png", "files/code.pdf"}


def test_import_makes_a_draft_course_with_modules_questions_and_files(db, app):
    course = import_pack(db.session, load_pack(SAMPLE))
    db.session.commit()
    assert (course.status, course.version, course.published_at) == (CourseStatus.DRAFT, 1, None)
    assert [m.key for m in course.modules] == ["basics", "final-quiz", "code-acceptance"]
    quiz = course.modules[1]
    assert quiz.settings["time_limit_s"] == 20 * 60
    assert quiz.settings["pools"] == [{"pool": "scenarios", "draw": 2}, {"pool": "basics", "draw": 2}]
    assert course.modules[2].settings == {"document_version": "2026-1", "min_reading_s": 30}
    assert _count(db, Question) == 5
    assert (files_dir(course) / "diagram.png").read_bytes() == (SAMPLE / "files" / "diagram.png").read_bytes()


def test_import_with_publish(db):
    course = import_pack(db.session, load_pack(SAMPLE), publish=True)
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at is not None


def test_the_broken_pack_reports_every_error_with_file_and_line_and_saves_nothing(db):
    with pytest.raises(PackInvalid) as info:
        import_pack(db.session, load_pack(PACKS / "broken-course"))
    assert [str(e) for e in info.value.errors] == [
        "course.yaml:1: the slug must be lower-case letters, digits and hyphens",
        "course.yaml:5: “title” has no ru translation",
        "course.yaml:7: the Markdown file intro.ru.md is missing",
        "quiz.quiz.yaml:2: “explanation” is missing",
        "quiz.quiz.yaml:12: the answer “c” is not one of the options",
        "quiz.quiz.yaml:15: “kind” must be one of: single, multiple, truefalse, ordering, matching",
        "course.yaml:15: the pool “main” holds 3 questions but the quiz draws 5",
        "course.yaml:17: “kind” must be one of: lesson, quiz, attestation, seminar",
    ]
    db.session.rollback()
    assert _count(db, Course) == 0


def _sample_with(file: str, old: str, new: str) -> dict[str, bytes]:
    files = read_folder(SAMPLE)
    text = files[file].decode()
    assert old in text
    files[file] = text.replace(old, new, 1).encode()
    return files


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("course.yaml", "slug: sample-course", "slug: other-course", "course.yaml:1: the slug “other-course” differs"),
        ("course.yaml", 'ru: "Пример курса", ', "", "course.yaml:8: “title” has no ru translation"),
        (
            "course.yaml",
            "draw: 2}\n        - {pool: basics",
            "draw: 4}\n        - {pool: basics",
            "course.yaml:19: the pool “scenarios” holds 3",
        ),
        ("course.yaml", "kind: lesson", "kind: video", "course.yaml:12: “kind” must be one of"),
        (
            "course.yaml",
            "remedial_module: basics",
            "remedial_module: nowhere",
            "course.yaml:26: “remedial_module” names no lesson",
        ),
        ("course.yaml", "pass_mark: 80", "pass_mark: 180", "course.yaml:5: “pass_mark” must be a whole number 0–100"),
        ("course.yaml", "title: {kk", "title: [kk", "course.yaml:8: bad YAML"),
        (
            "course.yaml",
            "  - key: basics\n",
            "  - key: basics\n    colour: red\n",
            "course.yaml:12: unknown field “colour”",
        ),
        ("final-quiz.quiz.yaml", "answer: b\n", "answer: z\n", "final-quiz.quiz.yaml:9: the answer “z” is not one of"),
        (
            "final-quiz.quiz.yaml",
            "answer: [a, b]",
            "answer: [a, q]",
            "final-quiz.quiz.yaml:19: the answer names ids that are not options: q",
        ),
        (
            "final-quiz.quiz.yaml",
            "answer: [x, y]",
            "answer: [x]",
            "final-quiz.quiz.yaml:29: the answer of an ordering question must list",
        ),
        (
            "final-quiz.quiz.yaml",
            "answer: true",
            "answer: maybe",
            "final-quiz.quiz.yaml:35: the answer of a true/false question",
        ),
        ("final-quiz.quiz.yaml", "kind: single", "kind: essay", "final-quiz.quiz.yaml:4: “kind” must be one of"),
        (
            "final-quiz.quiz.yaml",
            '    explanation: {kk: "Иә.", ru: "Да.", en: "Yes."}\n',
            "",
            "final-quiz.quiz.yaml:31: “explanation” is missing",
        ),
        (
            "final-quiz.quiz.yaml",
            "key: steps",
            "key: exam-offer",
            "final-quiz.quiz.yaml:22: the question key “exam-offer” is used twice",
        ),
        (
            "final-quiz.quiz.yaml",
            "  - key: hotline",
            "  - key: hotline\n   bad: [",
            "final-quiz.quiz.yaml:32: bad YAML",
        ),
        (
            "basics.en.md",
            "files/diagram.png",
            "files/missing.png",
            "basics.en.md:9: the linked file files/missing.png is not in the pack",
        ),
        (
            "basics.en.md",
            "files/diagram.png",
            "files/../../etc/passwd",
            "basics.en.md:9: the linked file files/../../etc/passwd",
        ),
        (
            "basics.en.md",
            "[The code",
            "[pdf]: files/gone.pdf\n\n[The code",
            "basics.en.md:11: the linked file files/gone.pdf",
        ),
    ],
)
def test_each_broken_variant_names_file_and_line(app, file, old, new, expected):
    with app.app_context():
        errors = _errors(_sample_with(file, old, new), strict=True, expected_slug="sample-course")
    assert any(e.startswith(expected) for e in errors), errors


def test_missing_markdown_file_and_missing_locale_in_bundled_mode(app):
    files = read_folder(SAMPLE)
    del files["code-acceptance.kk.md"]
    with app.app_context():
        assert _errors(files, strict=True) == ["course.yaml:27: the Markdown file code-acceptance.kk.md is missing"]
        check_pack(files)  # an office pack may leave out a language other than the default one
        del files["code-acceptance.ru.md"]
        assert _errors(files) == ["course.yaml:27: the Markdown file code-acceptance.ru.md is missing"]


def test_a_stray_markdown_file_is_reported(app):
    files = read_folder(SAMPLE) | {"basic.ru.md": b"## typo"}
    with app.app_context():
        assert _errors(files) == ["basic.ru.md: no module of course.yaml uses this file"]


def test_a_version_not_higher_than_the_latest_is_refused(db):
    import_pack(db.session, load_pack(SAMPLE))
    db.session.commit()
    with pytest.raises(PackInvalid, match="version 1 is not higher than version 1"):
        import_pack(db.session, load_pack(SAMPLE))
    db.session.rollback()
    assert _count(db, Course) == 1


def test_export_of_an_import_gives_the_same_pack(db, tmp_path):
    original = load_pack(SAMPLE, strict=True)
    course = import_pack(db.session, original)
    db.session.commit()
    export_course(course, tmp_path / "sample-course")
    assert load_pack(tmp_path / "sample-course", strict=True) == original
    # and once more through the database: the exported folder imports as the next version
    again = load_pack(tmp_path / "sample-course") | {"version": 2}
    assert import_pack(db.session, again).version == 2


def test_cli_import_and_export(runner, db, tmp_path):
    result = runner.invoke(args=["courses", "import", str(SAMPLE), "--publish"])
    assert result.exit_code == 0, result.output
    assert "Imported sample-course version 1 (published)" in result.output
    course = db.session.scalars(select(Course)).one()
    assert course.status == CourseStatus.PUBLISHED
    result = runner.invoke(args=["courses", "export", "sample-course", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert load_pack(tmp_path / "out") == load_pack(SAMPLE)
    assert runner.invoke(args=["courses", "export", "nothing", str(tmp_path / "x")]).exit_code != 0


def test_cli_imports_a_zip_too(runner, db, tmp_path):
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, content in read_folder(SAMPLE).items():
            zipped.writestr(f"sample-course/{name}", content)
    result = runner.invoke(args=["courses", "import", str(archive)])
    assert result.exit_code == 0, result.output
    assert _count(db, Course) == 1


def test_cli_import_of_a_broken_pack_prints_errors_and_imports_nothing(runner, db, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(PACKS / "broken-course", broken)
    result = runner.invoke(args=["courses", "import", str(broken)])
    assert result.exit_code == 1
    assert "quiz.quiz.yaml:12: the answer “c” is not one of the options" in result.output
    assert "nothing was imported" in result.output
    assert _count(db, Course) == 0
    assert _count(db, Module) == 0
