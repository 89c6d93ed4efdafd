"""Hostile files: imports and uploads answer with a message naming the file, never a 500, never a hang.

Issue 12, findings 3–6. Each file is made here, in a few lines, the way an attacker would make it.
"""

import io
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from courses.models import Course
from courses.packs.reading import read_folder
from lms.models import PersonKind, Role, User
from lms.people import spreadsheets

SAMPLE_PACK = Path(__file__).parent.parent / "courses" / "packs" / "sample-course"
HEADER = ["email", "full_name", "kind", "unit"]


@pytest.fixture
def officer(make, auth):
    person = make.user("officer@example.kz", roles=[Role.OFFICER], kind=PersonKind.STAFF)
    auth.login(person)
    return person


@pytest.fixture
def author(make, auth):
    person = make.user(roles=[Role.AUTHOR])
    auth.login(person)
    return person


def _xlsx(rows: dict[int, list]) -> bytes:
    """A workbook whose rows sit at the given row numbers."""
    workbook = Workbook()
    sheet = workbook.active
    for number, cells in rows.items():
        for column, value in enumerate(cells, start=1):
            sheet.cell(number, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, member: str, change) -> bytes:
    """The same zip with one member's bytes changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            archive.writestr(info.filename, change(content) if info.filename == member else content)
    return buffer.getvalue()


def _sheet(data: bytes, change) -> bytes:
    return _rezip(data, "xl/worksheets/sheet1.xml", change)


def _kept_files(app) -> set[Path]:
    folder = Path(app.config["ADAL_STORAGE_PATH"]) / "imports"
    return set(folder.iterdir()) if folder.exists() else set()


def _upload_people(client, data: bytes, name: str):
    # Encoded here, in memory: the test client spools a big body to a temporary file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), name)})
    return client.post("/office/people/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


# Finding 3: a sheet that declares far more than it holds ----------------------------------------


def test_a_declared_sheet_size_is_not_trusted(db):
    declared = _sheet(
        _xlsx({1: HEADER, 10_000: ["far@example.kz", "Far Away", "student", "FIT"]}),
        lambda xml: xml.replace(b'<dimension ref="A1:D10000"/>', b'<dimension ref="A1:XFD10000"/>'),
    )
    assert b"A1:XFD10000" in zipfile.ZipFile(io.BytesIO(declared)).read("xl/worksheets/sheet1.xml")
    started = time.monotonic()
    _columns, body = spreadsheets.read_table(declared, "declared.xlsx")
    assert time.monotonic() - started < 3  # was 12 s, and 20 minutes for the full declared size
    assert [(number, cells[:4]) for number, cells in body] == [
        (10_000, ["far@example.kz", "Far Away", "student", "FIT"])
    ]


def test_cells_past_the_column_cap_are_not_read(db):
    wide = _xlsx({1: HEADER, 2: ["a@example.kz", "A", "student", "FIT"]})
    wide = _sheet(wide, lambda xml: xml.replace(b"</row></sheetData>", b'<c r="XFD2"><v>1</v></c></row></sheetData>'))
    _columns, body = spreadsheets.read_table(wide, "wide.xlsx")
    assert len(body[0][1]) == spreadsheets.MAX_COLUMNS


def test_reading_stops_at_the_time_budget_with_a_message(db):
    data = _xlsx({1: HEADER, 2: ["a@example.kz", "A", "student", "FIT"]})
    with pytest.raises(spreadsheets.ImportFileError, match=r"slow\.xlsx takes too long to read"):
        spreadsheets.read_table(data, "slow.xlsx", seconds=0)


# Finding 4: a file of a million rows -------------------------------------------------------------


def _csv(rows: int) -> bytes:
    lines = ["email;full_name;kind;unit", *(f"p{n}@example.kz;Person {n};student;FIT" for n in range(rows))]
    return "\n".join(lines).encode()


def test_more_rows_than_the_cap_are_refused_with_a_message_and_not_kept(app, client, officer, make):
    make.unit("FIT")
    before = _kept_files(app)
    page = _upload_people(client, _csv(spreadsheets.MAX_ROWS + 1), "everyone.csv")
    assert page.status_code == 200
    assert f"everyone.csv has more than {spreadsheets.MAX_ROWS} rows" in page.get_data(as_text=True)
    assert _kept_files(app) == before
    assert spreadsheets.read_table(_csv(spreadsheets.MAX_ROWS), "at-the-cap.csv")[1][-1][0] == 50_001


def test_the_review_page_shows_the_kept_check_without_reading_the_file_again(app, client, officer, make, db):
    make.unit("FIT")
    review = _upload_people(client, _csv(3) + b"\nbad-address;Bad;student;FIT", "people.csv").headers["Location"]
    token = review.rsplit("/", 1)[-1]
    folder = Path(app.config["ADAL_STORAGE_PATH"]) / "imports"
    assert (folder / f"{token}.review.json").exists()
    (folder / f"{token}.bin").write_bytes(b"\0 not the file any more")
    page = client.get(review).get_data(as_text=True)
    assert 'id="count-create">3<' in page and 'id="count-reject">1<' in page
    assert "not a valid e-mail address" in page
    # Applying reads the file again, against the database as it is now: here, no longer a table.
    applied = client.post(f"{review}/apply", data={"apply_valid": "1"})
    assert "people.csv is not a CSV or Excel file" in client.get(applied.headers["Location"]).get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 1
    assert not list(folder.glob(f"{token}.*"))


# Finding 5: files that used to answer 500 --------------------------------------------------------


def _dtd_entity(data: bytes) -> bytes:
    return _sheet(
        data,
        lambda xml: xml.replace(
            b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY e SYSTEM "file:///etc/passwd">]><worksheet'
        ).replace(b"<t>A</t>", b"<t>&e;</t>"),
    )


HOSTILE_PEOPLE_FILES = {
    "bad byte": (
        "byte.csv",
        b"email;full_name;kind;unit\na@example.kz;A\x98;student;FIT\n",
        "byte.csv, line 2: the text is neither UTF-8 nor Windows-1251.",
    ),
    "binary renamed": ("photo.csv", bytes(range(256)) * 64, "photo.csv is not a CSV or Excel file."),
    "huge field": (
        "long.csv",
        b"email;full_name;kind;unit\nb@example.kz;B;student;FIT\na@example.kz;" + b"A" * 140_000 + b";student;FIT\n",
        "long.csv, line 3 cannot be read: a cell is longer than 131072 characters",
    ),
    "DTD entity": (
        "entity.xlsx",
        _dtd_entity(_xlsx({1: HEADER, 2: ["a@example.kz", "A", "student", "FIT"]})),
        "entity.xlsx cannot be read as an Excel file.",
    ),
}


@pytest.mark.parametrize("name, data, message", HOSTILE_PEOPLE_FILES.values(), ids=HOSTILE_PEOPLE_FILES)
def test_unreadable_people_files_get_a_message_on_the_page_and_are_not_kept(
    app, client, officer, make, db, name, data, message
):
    make.unit("FIT")
    before = _kept_files(app)
    page = _upload_people(client, data, name)
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)
    assert _kept_files(app) == before
    assert db.session.scalar(select(func.count(User.id))) == 1


@pytest.mark.parametrize("name, data, message", HOSTILE_PEOPLE_FILES.values(), ids=HOSTILE_PEOPLE_FILES)
def test_unreadable_people_files_get_a_message_in_the_cli(runner, db, tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    result = runner.invoke(args=["people", "import", "--language", "en", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def _pack_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _bad_crc() -> bytes:
    data = _pack_zip(read_folder(SAMPLE_PACK))
    title = data.index(b"slug: sample-course")  # stored, not compressed: the bytes are in the zip as they are
    return data[:title] + b"slug: sample-coursf" + data[title + len(b"slug: sample-course") :]


def _deep_yaml() -> bytes:
    return _pack_zip({"course.yaml": b"slug: deep\ntitle:\n  en: " + b"[" * 50_000 + b"]" * 50_000 + b"\n"})


HOSTILE_PACKS = {
    "bad CRC": (_bad_crc, "course.yaml: this file is damaged in the zip or cannot be unpacked"),
    "deep YAML": (_deep_yaml, "course.yaml:3: the YAML is nested too deeply"),
}


@pytest.mark.parametrize("make_zip, message", HOSTILE_PACKS.values(), ids=HOSTILE_PACKS)
def test_hostile_course_packs_get_a_message_on_the_page(client, author, db, make_zip, message):
    page = client.post(
        "/author/import", data={"pack": (io.BytesIO(make_zip()), "pack.zip")}, content_type="multipart/form-data"
    )
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Course.id))) == 0


@pytest.mark.parametrize("make_zip, message", HOSTILE_PACKS.values(), ids=HOSTILE_PACKS)
def test_hostile_course_packs_get_a_message_in_the_cli(runner, db, tmp_path, make_zip, message):
    path = tmp_path / "pack.zip"
    path.write_bytes(make_zip())
    result = runner.invoke(args=["courses", "import", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalar(select(func.count(Course.id))) == 0


# Finding 6: a body over the limit ----------------------------------------------------------------


def _oversized(app) -> bytes:
    return b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1024 * 1024)


def _assert_adals_413(response) -> None:
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "<title>413 · Adal</title>" in page
    assert "The file is too large." in page


def test_an_anonymous_oversized_post_gets_adals_413_page(client, app):
    _assert_adals_413(client.post("/login", data=_oversized(app), content_type="application/x-www-form-urlencoded"))


def test_an_oversized_upload_gets_adals_413_page(app, client, officer):
    before = _kept_files(app)
    _assert_adals_413(_upload_people(client, _oversized(app), "everyone.csv"))
    assert _kept_files(app) == before
