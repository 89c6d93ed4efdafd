"""Every bundled course pack loads in the strict mode: all three languages, explanations, pools, files."""

import pytest

from courses.models import CourseStatus
from courses.packs.answer_hints import longest_answer_problems
from courses.packs.importing import bundled_pack_folders, seed_bundled_packs
from courses.packs.reading import PackInvalid
from courses.packs.validating import load_pack
from lms.demo import university

FOLDERS = bundled_pack_folders()


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_bundled_pack_is_complete(app, folder):
    """Fails with every error of the pack at once (file:line), so a writer fixes them in one go.

    Strict as ``courses import --strict``: no pool may be passed by picking the longest options.
    """
    with app.app_context():
        try:
            errors = longest_answer_problems(load_pack(folder, strict=True))
        except PackInvalid as exc:
            errors = exc.errors
    if errors:
        pytest.fail(f"{folder.name}:\n" + "\n".join(f"  {e}" for e in errors))


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_bundled_pack_imports_with_the_strict_cli(runner, folder):
    result = runner.invoke(args=["courses", "import", str(folder), "--strict"])
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.output


def test_the_demo_imports_and_publishes_every_bundled_pack(db):
    assert seed_bundled_packs in university._seeders  # registered by courses.init_app
    courses = seed_bundled_packs(db.session)
    db.session.commit()
    assert sorted(c.slug for c in courses) == sorted(f.name for f in FOLDERS)
    assert {c.status for c in courses} <= {CourseStatus.PUBLISHED}
