"""Filing a report and coming back with the receipt: what the reporter sees and what is kept."""

import io
import re
import time

from PIL import Image
from sqlalchemy import select

from concerns import crypto
from concerns.models import Case, CaseFile, CaseIdentity, CaseStatistic
from lms.extensions import db
from tests.concerns.helpers import WHAT, report_directly, report_through_form


def test_a_report_gives_a_case_number_and_a_receipt_shown_once(client):
    number, code = report_through_form(client)
    case = db.session.scalar(select(Case))
    assert case.number == number and case.anonymous and case.status == "new"
    assert code.replace("-", "") not in case.receipt_hash and case.receipt_hash.startswith("scrypt:")
    assert crypto.decrypt_json(case.report)["what"] == WHAT
    statistic = db.session.scalar(select(CaseStatistic))
    assert (statistic.case_id, statistic.category, statistic.outcome) == (case.id, "bribery", None)
    # The follow-up page never shows the code again.
    page = client.get("/report/follow-up").get_data(as_text=True)
    assert code not in page


def test_the_reporter_comes_back_with_the_receipt_and_answers(client):
    number, code = report_through_form(client)
    page = client.post("/report/follow-up", data={"number": number.lower(), "code": code.replace("-", " ")})
    assert page.status_code == 200 and b'id="case-status">New' in page.data
    answered = client.post("/report/follow-up", data={"number": number, "code": code, "text": "One more detail"})
    assert b"Your answer has been sent" in answered.data and b"One more detail" in answered.data
    case = db.session.scalar(select(Case))
    db.session.refresh(case)
    assert [crypto.decrypt_text(m.body) for m in case.messages] == ["One more detail"]


def _page(response, number: str) -> str:
    """The page without the number typed and the CSRF token (signed with the time, to the second)."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", response.get_data(as_text=True)).replace(number, "")


def test_a_wrong_code_gets_the_same_answer_as_a_case_that_does_not_exist(client):
    number, _code = report_through_form(client)
    wrong = client.post("/report/follow-up", data={"number": number, "code": "AAAA-BBBB-CCCC-DDDD"})
    started = time.perf_counter()
    missing = client.post("/report/follow-up", data={"number": "ZZZZ-ZZZZ", "code": "AAAA-BBBB-CCCC-DDDD"})
    missing_time = time.perf_counter() - started
    assert wrong.status_code == missing.status_code == 200
    assert _page(wrong, number) == _page(missing, "ZZZZ-ZZZZ")
    assert missing_time > 0.02  # the unknown number was hashed against too (scrypt takes tens of ms)
    # An answer with a wrong code changes nothing and says the same.
    sneaky = client.post("/report/follow-up", data={"number": number, "code": "AAAA-BBBB-CCCC-DDDD", "text": "x"})
    assert b"do not match a case" in sneaky.data and not db.session.scalar(select(Case)).messages


def test_tries_at_a_receipt_code_are_limited_per_case_number(client):
    number, _code = report_through_form(client)
    statuses = [
        client.post("/report/follow-up", data={"number": number, "code": f"WRONG{i}"}).status_code for i in range(6)
    ]
    assert statuses[:5] == [200] * 5 and statuses[5] == 429
    # Another case number is not held back by them.
    assert client.post("/report/follow-up", data={"number": "QQQQ-QQQQ", "code": "x"}).status_code == 200


def _jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "CameraMakerSecret"
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_attachments_lose_their_metadata_and_are_kept_encrypted(client):
    photo = _jpeg_with_exif()
    assert b"CameraMakerSecret" in photo
    report_through_form(client, files=[(io.BytesIO(photo), "IMG_0001.jpg"), (io.BytesIO(b"notes"), "notes.txt")])
    files = db.session.scalars(select(CaseFile).order_by(CaseFile.id)).all()
    assert [crypto.decrypt_text(f.name) for f in files] == ["IMG_0001.jpg", "notes.txt"]
    kept = crypto.decrypt_bytes(files[0].data)
    assert kept.startswith(b"\xff\xd8") and b"CameraMakerSecret" not in kept
    assert b"notes" not in files[1].data


def test_files_of_other_kinds_are_refused(client):
    response = client.post(
        "/report",
        data={"category": "gifts", "what": "x", "identity": "anonymous", "files": [(io.BytesIO(b"MZ..."), "run.exe")]},
        content_type="multipart/form-data",
    )
    assert b'id="case-number"' not in response.data
    assert db.session.scalar(select(Case)) is None


def test_a_named_report_keeps_the_identity_apart(client):
    report_through_form(client, identity="named", name="Aigerim Sadykova", contact="+7 701 000 00 00")
    case = db.session.scalar(select(Case))
    identity = db.session.scalar(select(CaseIdentity))
    assert not case.anonymous and identity.case_id == case.id
    assert crypto.decrypt_json(identity.data) == {"name": "Aigerim Sadykova", "contact": "+7 701 000 00 00"}


def test_an_anonymous_choice_drops_a_name_typed_anyway(client):
    report_through_form(client, identity="anonymous", name="Typed Anyway")
    assert db.session.scalar(select(CaseIdentity)) is None


def test_the_privacy_page_says_what_is_not_recorded(client):
    page = client.get("/report/privacy").get_data(as_text=True)
    assert "IP address" in page and "Trackers" in page


def test_the_receipt_is_printable_and_the_pages_are_not_cached(client):
    response = client.get("/report")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    receipt = client.post("/report", data={"category": "gifts", "what": "A gift", "identity": "anonymous"})
    assert b"concerns/receipt-print.css" in receipt.data and receipt.headers["Cache-Control"] == "no-store"
    code = report_directly().code
    assert code.count("-") == 3 and len(code) == 19


def test_the_reporter_adds_a_file_later(client):
    number, code = report_through_form(client)
    data = {"number": number, "code": code, "text": "", "files": [(io.BytesIO(b"second thought"), "later.txt")]}
    page = client.post("/report/follow-up", data=data, content_type="multipart/form-data")
    assert b"Your answer has been sent" in page.data and b"later.txt" in page.data
    empty = client.post("/report/follow-up", data={"number": number, "code": code, "text": " "})
    assert b"Write an answer or add a file." in empty.data
