"""Every bundled course pack loads in the strict mode: all three languages, explanations, pools, files."""

import pytest

from courses.packs import PackInvalid, bundled_pack_folders, import_pack, load_pack

FOLDERS = bundled_pack_folders()


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_bundled_pack_is_complete(app, folder):
    """Fails with every error of the pack at once (file:line), so a writer fixes them in one go."""
    with app.app_context():
        try:
            load_pack(folder, strict=True)
        except PackInvalid as exc:
            pytest.fail(f"{folder.name}:\n" + "\n".join(f"  {e}" for e in exc.errors))


def test_bundled_packs_import_and_publish_together(db):
    courses = [import_pack(db.session, load_pack(folder, strict=True), publish=True) for folder in FOLDERS]
    db.session.commit()
    assert len({c.slug for c in courses}) == len(FOLDERS)
