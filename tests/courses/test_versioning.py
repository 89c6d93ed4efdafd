"""Versions: publish freezes, editing a published course makes the next draft, learners keep theirs."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses.authoring import versioning
from courses.models import Course, CourseStatus, Enrolment, Question
from courses.packs.importing import import_pack
from courses.packs.stored import files_dir
from courses.packs.validating import load_pack

SAMPLE = Path(__file__).parent / "packs" / "sample-course"


@pytest.fixture
def published(db):
    course = import_pack(db.session, load_pack(SAMPLE), publish=True)
    db.session.commit()
    return course


def test_publish_freezes_a_draft_once(db):
    course = import_pack(db.session, load_pack(SAMPLE))
    versioning.publish(db.session, course)
    db.session.commit()
    assert course.status == CourseStatus.PUBLISHED
    assert course.published_at is not None
    with pytest.raises(versioning.VersionError):
        versioning.publish(db.session, course)


def test_editing_a_published_course_makes_a_deep_copy_as_the_next_draft(db, published):
    draft = versioning.draft_for_editing(db.session, published)
    db.session.commit()
    assert (draft.version, draft.status, draft.slug) == (2, CourseStatus.DRAFT, published.slug)
    assert [m.key for m in draft.modules] == [m.key for m in published.modules]
    assert {m.id for m in draft.modules}.isdisjoint({m.id for m in published.modules})
    assert db.session.scalar(select(func.count()).select_from(Question)) == 10
    assert (files_dir(draft) / "diagram.png").exists()
    # the draft is returned again rather than a third version
    assert versioning.draft_for_editing(db.session, published) is draft
    # the copy shares no JSON with the frozen version: changing one leaves the other as it was
    draft.modules[1].questions[1].options[0]["text"]["en"] = "Changed"
    draft.modules[1].settings["pools"][0]["draw"] = 3
    assert published.modules[1].questions[1].options[0]["text"]["en"] == "Report"
    assert published.modules[1].settings["pools"][0]["draw"] == 2
    draft.modules[0].body = {**draft.modules[0].body, "en": "## Changed"}
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Course, published.id).modules[0].body["en"].startswith("## Basics")


def test_a_learner_in_progress_keeps_the_version_they_enrolled_on(db, make, published):
    learner = make.user()
    enrolment = Enrolment(user_id=learner.id, course_id=published.id, course_slug=published.slug, status="in_progress")
    db.session.add(enrolment)
    db.session.commit()
    draft = versioning.draft_for_editing(db.session, published)
    draft.title = {**draft.title, "en": "Sample course, revised"}
    versioning.publish(db.session, draft)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).course.version == 1
    assert versioning.current_published(db.session, published.slug).version == 2


def test_archive_withdraws_a_version_from_new_learners(db, published):
    versioning.archive(db.session, published)
    db.session.commit()
    assert versioning.current_published(db.session, published.slug) is None
    with pytest.raises(versioning.VersionError):
        versioning.archive(db.session, published)
    assert versioning.draft_for_editing(db.session, published).version == 2
