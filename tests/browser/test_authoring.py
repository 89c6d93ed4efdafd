"""Authoring in a real browser: the Markdown live preview and dragging modules into order."""

from pathlib import Path

import pytest

from courses.models import Course
from courses.packs.importing import import_pack
from courses.packs.validating import load_pack
from lms.models import Role
from tests.browser.helpers import login

SAMPLE = Path(__file__).parent.parent / "courses" / "packs" / "sample-course"


@pytest.mark.browser
def test_author_previews_markdown_and_drags_a_module(page, make, db):
    author = make.user(roles=[Role.AUTHOR])
    course = import_pack(db.session, load_pack(SAMPLE))
    db.session.commit()
    first, second, third = (m.id for m in course.modules)
    login(page, author.email)

    page.goto(f"/author/modules/{first}")
    page.fill("textarea[name=body_en]", "## Fresh\n\n**bold** <script>window.pwned = 1</script>")
    preview = page.locator("#preview-body_en")
    preview.locator("strong").wait_for()
    assert preview.locator("h2").inner_text() == "Fresh"
    assert preview.locator("script").count() == 0
    assert page.evaluate("window.pwned") is None

    page.goto(f"/author/courses/{course.id}")
    items = page.locator("li[data-module-id]")
    with page.expect_navigation():
        items.nth(0).drag_to(items.nth(2), target_position={"x": 10, "y": 30})
    order = page.locator("li[data-module-id]").evaluate_all("els => els.map(e => Number(e.dataset.moduleId))")
    assert order == [second, third, first]
    db.session.expire_all()
    assert [m.id for m in db.session.get(Course, course.id).modules] == [second, third, first]
