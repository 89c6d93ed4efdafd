"""Fixtures of the authoring tests: an author signed in, and the sample pack imported as a draft."""

from pathlib import Path

import pytest

from courses.packs.importing import import_pack
from courses.packs.validating import load_pack
from lms.models import Role

SAMPLE = Path(__file__).parent / "packs" / "sample-course"


@pytest.fixture
def author(make, auth):
    person = make.user(roles=[Role.AUTHOR])
    auth.login(person)
    return person


@pytest.fixture
def sample(db):
    course = import_pack(db.session, load_pack(SAMPLE))
    db.session.commit()
    return course
