"""People import: reading messy files, planning, applying in one transaction, the CLI twin."""

import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lms.accounts import send_invitation
from lms.models import AuditEvent, OutboxMessage, PersonKind, User
from lms.people import importing, spreadsheets, uploads
from lms.signals import people_changed

DATA = Path(__file__).parent / "data"


@pytest.fixture
def units(make):
    fit = make.unit("FIT", kind="faculty")
    return {"FIT": fit, "FIT-CS": make.unit("FIT-CS", parent=fit), "LAW": make.unit("LAW", kind="faculty")}


def _plan(db, data: bytes, allowed_paths=None):
    columns, body = spreadsheets.read_table(data)
    return importing.plan_import(db.session, columns, body, allowed_paths)


def _apply(app, db, data: bytes, **kwargs):
    with app.test_request_context():
        result = importing.apply_plan(db.session, _plan(db, data), **kwargs)
        db.session.commit()
    return result


def _people(db) -> dict[str, User]:
    return {u.email: u for u in db.session.scalars(select(User))}


@pytest.mark.parametrize("name", ["students_cp1251.csv", "students_bom.csv"])
def test_russian_headers_semicolons_and_either_encoding(db, units, name):
    plan = _plan(db, (DATA / name).read_bytes())
    assert plan.counts == {"create": 3, "update": 0, "unchanged": 0, "reject": 0}
    first, second, third = plan.rows
    assert (first.number, second.number, third.number) == (2, 4, 5)  # the blank line keeps its number
    assert first.values["email"] == "aigerim.nurlanova@example.kz"
    assert first.values["full_name"] == "Нурланова Айгерим"
    assert first.values["org_unit_id"] == units["FIT-CS"].id
    assert first.values["study_group"] == "CS-21"
    assert second.values["kind"] == PersonKind.STAFF
    assert second.values["org_unit_id"] == units["LAW"].id  # unit codes match whatever the case
    assert second.values["position"] == "Доцент"
    assert third.values["locale"] == "en"


def test_kazakh_headers_commas_and_default_language(db, units):
    plan = _plan(db, (DATA / "staff_kk_comma.csv").read_bytes())
    assert plan.counts["create"] == 2
    assert plan.rows[0].values["locale"] == "kk"
    assert plan.rows[1].values["position"] == "Оқытушы"


def _xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_excel_file(app, db, units):
    data = _xlsx(
        [
            ["Students of FIT, autumn 2026"],  # a title line above the header
            ["E-mail", "Full name", "Kind", "Unit code", "Group", "Position", "Language"],
            ["  Dana@Example.kz", "Дана Серікқызы", "student", "FIT-CS", 101, None, "ru"],
            [None, None, None, None, None, None, None],
            ["marat@example.kz", "Марат Ахметов", "staff", "FIT", None, "Dean", None],
        ]
    )
    result = _apply(app, db, data)
    assert result.counts["create"] == 2
    people = _people(db)
    assert people["dana@example.kz"].locale == "ru"
    assert people["dana@example.kz"].study_group == "101"
    assert people["marat@example.kz"].position == "Dean"


def test_rejected_rows_and_their_reasons(app, db, units):
    plan = _plan(db, (DATA / "bad_rows_tab.csv").read_bytes())
    assert plan.counts == {"create": 2, "update": 0, "unchanged": 0, "reject": 6}
    reasons = {row.number: [code for code, _ in row.reasons] for row in plan.rejected}
    assert reasons == {
        3: ["bad_email"],
        4: ["unknown_unit"],
        5: ["duplicate"],
        6: ["missing_name"],
        7: ["duplicate"],
        8: ["bad_kind", "bad_language"],
    }
    duplicates = {row.number: row.reasons[0][1]["rows"] for row in plan.rejected if row.number in (5, 7)}
    assert duplicates == {5: "7", 7: "5"}  # each names the other
    with app.test_request_context():
        with_text = [importing.describe_reason(c, p) for row in plan.rejected for c, p in row.reasons]
    assert any("NOPE" in text for text in with_text)


def test_a_bad_row_in_the_middle_imports_nothing(app, db, units):
    result = _apply(app, db, (DATA / "bad_rows_tab.csv").read_bytes())
    assert result is None
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_only_valid_rows_mode_imports_the_rest(app, db, units):
    result = _apply(app, db, (DATA / "bad_rows_tab.csv").read_bytes(), only_valid=True, filename="bad.csv")
    assert result.counts["create"] == 2
    assert set(_people(db)) == {"first@example.kz", "last@example.kz"}
    event = db.session.scalars(select(AuditEvent)).one()
    assert event.action == "people.import"
    assert event.details == {
        "file": "bad.csv",
        "only_valid": True,
        "create": 2,
        "update": 0,
        "unchanged": 0,
        "reject": 6,
    }


def test_update_of_an_existing_person_keeps_what_the_file_leaves_blank(app, db, units, make):
    make.user("aruzhan@example.kz", full_name="Old Name", unit=units["FIT"], locale="ru", study_group="OLD")
    serik = make.user("serik@example.kz", full_name="Серік Қанатұлы", kind=PersonKind.STAFF, unit=units["FIT"])
    serik.position = "Оқытушы"
    serik.locale = "kk"
    db.session.commit()
    plan = _plan(db, (DATA / "staff_kk_comma.csv").read_bytes())
    assert [row.action for row in plan.rows] == ["update", "unchanged"]
    assert plan.rows[0].values == {
        "full_name": "Әлібек Аружан",
        "org_unit_id": units["FIT-CS"].id,
        "study_group": "CS-23",
    }  # the blank language cell keeps the person's own choice
    _apply(app, db, (DATA / "staff_kk_comma.csv").read_bytes())
    db.session.expire_all()
    aruzhan = _people(db)["aruzhan@example.kz"]
    assert (aruzhan.full_name, aruzhan.locale, aruzhan.org_unit_id) == ("Әлібек Аружан", "ru", units["FIT-CS"].id)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0  # existing people are not invited


def test_new_people_get_a_working_invitation(app, db, units, client):
    _apply(app, db, (DATA / "students_bom.csv").read_bytes())
    messages = {m.to_addr: m for m in db.session.scalars(select(OutboxMessage))}
    assert set(messages) == {"aigerim.nurlanova@example.kz", "ivan.petrov@example.kz", "john.smith@example.kz"}
    ivan = messages["ivan.petrov@example.kz"]
    assert "Петров Иван Сергеевич" in ivan.body_text and "Петров Иван Сергеевич" in ivan.body_html
    link = re.search(r"http://adal\.test(/invitation/\S+)", ivan.body_text).group(1)
    assert link in ivan.body_html
    assert ivan.dedup_key == f"invite:{ivan.user_id}"
    other = re.search(r"/invitation/\S+", messages["john.smith@example.kz"].body_text).group(0)
    assert other != link  # each carries their own link
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "a brand new password", "confirm": "a brand new password"})
    assert response.status_code == 302
    assert (
        client.post("/login", data={"email": "ivan.petrov@example.kz", "password": "a brand new password"}).status_code
        == 302
    )


def test_fast_invitations_match_the_one_by_one_invitation(app, db, units):
    """The render-once-and-fill path writes exactly what ``send_invitation`` writes."""
    _apply(app, db, (DATA / "students_bom.csv").read_bytes())
    person = _people(db)["ivan.petrov@example.kz"]
    fast = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == person.id)).one()
    db.session.delete(fast)
    db.session.flush()
    person.full_name = "Петров <Иван> & Co"  # needs escaping in HTML
    db.session.flush()
    with app.test_request_context():
        importing.queue_invitations(
            db.session, [(person.id, {"full_name": person.full_name, "email": person.email, "locale": "ru"})]
        )
        fast = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == person.id)).one()
        fast_parts = (fast.subject, fast.body_text, fast.body_html)
        db.session.delete(fast)
        db.session.flush()
        send_invitation(db.session, person)
        db.session.flush()
    slow = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == person.id)).one()
    assert fast_parts == (slow.subject, slow.body_text, slow.body_html)
    assert "&lt;Иван&gt; &amp; Co" in slow.body_html


def test_people_changed_is_sent_with_created_and_updated_ids(app, db, units, make):
    make.user("john.smith@example.kz", full_name="Old", unit=units["FIT-CS"])
    received = []

    def listener(sender, session, user_ids):
        received.append(sorted(user_ids))
        assert session.scalar(select(func.count(User.id))) == 3  # sent after the flush

    with people_changed.connected_to(listener, sender=app):
        _apply(app, db, (DATA / "students_bom.csv").read_bytes())
    assert received == [sorted(u.id for u in _people(db).values())]


def test_scoped_import_rejects_units_outside_the_scope(db, units):
    plan = _plan(db, (DATA / "students_bom.csv").read_bytes(), allowed_paths=[units["FIT"].path])
    assert [row.action for row in plan.rows] == ["create", "reject", "create"]
    assert plan.rows[1].reasons[0][0] == "unit_out_of_scope"


def test_missing_required_column_is_a_file_error(db):
    with pytest.raises(spreadsheets.ImportFileError):
        spreadsheets.read_table(b"email;full_name\na@example.kz;A\n")
    with pytest.raises(spreadsheets.ImportFileError):
        spreadsheets.read_table(b"\n\n")


def test_cli_dry_run_writes_nothing_and_lists_rejected_rows(runner, db, units):
    result = runner.invoke(args=["people", "import", "--language", "en", str(DATA / "bad_rows_tab.csv"), "--dry-run"])
    assert result.exit_code == 1
    assert "row 4: nowhere@example.kz" in result.output
    assert "2 to create" in result.output and "6 rejected" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_cli_import_refused_then_only_valid(runner, db, units):
    refused = runner.invoke(args=["people", "import", "--language", "en", str(DATA / "bad_rows_tab.csv")])
    assert refused.exit_code == 1
    assert db.session.scalar(select(func.count(User.id))) == 0
    done = runner.invoke(args=["people", "import", "--language", "en", str(DATA / "bad_rows_tab.csv"), "--only-valid"])
    assert done.exit_code == 0, done.output
    assert db.session.scalar(select(func.count(User.id))) == 2
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


def test_cli_clean_import(runner, db, units):
    result = runner.invoke(args=["people", "import", "--language", "en", str(DATA / "students_cp1251.csv")])
    assert result.exit_code == 0, result.output
    assert "Imported: 3 to create" in result.output
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_addr == "john.smith@example.kz")).one()
    assert "http://adal.test/invitation/" in message.body_text


def _generated_csv(rows: int) -> bytes:
    lines = ["email;full_name;kind;unit;group;position;language"]
    for n in range(rows):
        staff = n % 3 == 0  # students and staff interleaved, as in a real export
        kind, group, position = ("staff", "", "Lecturer") if staff else ("student", f"G-{n}", "")
        lines.append(f"p{n}@example.kz;Person {n};{kind};FIT-CS;{group};{position};{['kk', 'ru', 'en', ''][n % 4]}")
    return "\n".join(lines).encode()


def test_import_statements_do_not_grow_with_rows(app, db, units, count_queries):
    """Bulk statements: 40 or 400 people (creates, then updates) cost the same number of queries."""

    def statements(rows: int, name_suffix: str) -> int:
        data = _generated_csv(rows).replace(b";Person ", f";Person{name_suffix} ".encode())
        with count_queries() as seen:
            _apply(app, db, data)
        return len(seen)

    few, many = statements(40, ""), statements(400, "")  # the 40 exist when the 400 come: updates too
    assert abs(few - many) <= 2, (few, many)
    assert many < 20
    updated, updated_more = statements(40, "x"), statements(400, "x")
    assert updated_more <= updated + 2 and updated_more < 20


def test_kept_uploads_expire(app, db):
    import os
    import time

    with app.test_request_context():
        old = uploads.keep_upload(b"x", "old.csv", 1)
        folder = Path(app.config["ADAL_STORAGE_PATH"]) / "imports"
        long_ago = time.time() - uploads.UPLOAD_MAX_AGE - 60
        for path in folder.glob(f"{old}.*"):
            os.utime(path, (long_ago, long_ago))
        fresh = uploads.keep_upload(b"y", "new.csv", 1)
        assert uploads.load_upload(old, 1) is None
        assert uploads.load_upload(fresh, 1) == (b"y", "new.csv")
        assert uploads.load_upload(fresh, 2) is None  # another person's upload


# --- Kazakh letters lost to Windows-1251 (issue 15) ----------------------------------------------


def test_names_whose_kazakh_letters_became_question_marks_are_refused_with_the_remedy(app, db, units):
    """Excel's "CSV (Windows)" writes "?" for Қ, Ғ, Ұ…: such a name must not be accepted as it is."""
    plan = _plan(db, (DATA / "staff_cp1251_lost_letters.csv").read_bytes())
    assert plan.counts == {"create": 1, "update": 0, "unchanged": 0, "reject": 2}
    erlan, dana, gaukhar = plan.rows
    assert dana.action == "create" and dana.full_name == "Ахметова Дана"
    assert erlan.full_name == "?уаныш?лы Ерлан"
    with app.test_request_context():
        reasons = [importing.describe_reason(code, params) for code, params in erlan.reasons]
    assert reasons == [
        "“?уаныш?лы Ерлан” has “?” where letters were lost: the file was saved in an encoding without Kazakh"
        " letters. Save it as “CSV UTF-8” (or as an Excel workbook) and upload it again.",
        "“А?а о?ытушы” has “?” where letters were lost: the file was saved in an encoding without Kazakh"
        " letters. Save it as “CSV UTF-8” (or as an Excel workbook) and upload it again.",
    ]
    assert [code for code, _params in gaukhar.reasons] == ["lost_letters"]


def test_kazakh_column_names_that_lost_letters_name_the_encoding(db):
    with pytest.raises(spreadsheets.ImportFileError, match=r"“\?” where letters were lost.*CSV UTF-8"):
        spreadsheets.read_table((DATA / "staff_kk_header_cp1251.csv").read_bytes())


def test_a_utf8_mark_in_front_of_windows_1251_text_names_the_encoding(db):
    with pytest.raises(spreadsheets.ImportFileError) as error:
        spreadsheets.read_table((DATA / "students_bom_cp1251.csv").read_bytes(), "people.csv")
    message = str(error.value)
    assert message.startswith("people.csv, line 1: the file is marked as UTF-8 but its text is in another encoding")
    assert "Required columns" not in message
