"""Regulatory documents: PDFs only, versions kept in a visible history, public downloads, the code of
ethics linked from the learner's attestation as in force the day they signed."""

import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from courses.models import Attestation, Enrolment
from lms.models import AuditEvent
from public_page import demo, documents
from public_page.models import DocumentVersion, RegulatoryDocument
from tests.courses.builders import build_course
from tests.public_page.conftest import pdf


def test_the_office_uploads_a_document_that_anyone_can_download(client, auth, officer, upload, db):
    auth.login(officer)
    response = upload(number="12-OD", approved_on="2025-03-01")
    assert response.status_code == 302
    auth.logout()

    page = client.get("/about").get_data(as_text=True)
    assert "Code of ethics (en) 12-OD" in page and "No. 12-OD" in page
    version = db.session.scalar(select(DocumentVersion))
    assert f'href="/documents/code-of-ethics/{version.id}/kk.pdf"' in page and "/en.pdf" not in page
    with client.get(f"/documents/code-of-ethics/{version.id}/kk.pdf") as download:
        assert download.status_code == 200
        assert download.mimetype == "application/pdf"
        assert download.data == pdf("kk 12-OD")
        assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/documents/code-of-ethics/{version.id}/en.pdf").status_code == 404  # none in English
    assert client.get(f"/documents/other/{version.id}/kk.pdf").status_code == 404
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "public.document"))
    assert event.actor_id == officer.id and event.details["number"] == "12-OD"


def test_a_new_version_keeps_the_old_one_in_the_history(client, auth, officer, upload, db):
    auth.login(officer)
    upload(number="1-OD", approved_on="2024-09-01")
    document = db.session.scalar(select(RegulatoryDocument))
    assert upload(document_id=document.id, number="2-OD", approved_on="2025-09-01").status_code == 302
    auth.logout()

    versions = db.session.scalars(select(DocumentVersion).order_by(DocumentVersion.id)).all()
    assert [v.number for v in versions] == ["1-OD", "2-OD"]
    page = client.get("/documents/code-of-ethics").get_data(as_text=True)
    history = page.split('id="history"')[1]
    assert history.index("2-OD") < history.index("1-OD")  # newest first, the old one still there
    assert "September 1, 2024" in history and "September 1, 2025" in history
    assert f'id="version-shown" data-version="{versions[1].id}"' in page
    with client.get(f"/documents/code-of-ethics/{versions[0].id}/ru.pdf") as old:
        assert old.status_code == 200 and old.data == pdf("ru 1-OD")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "public.version")).details == {
        "number": "2-OD"
    }


@pytest.mark.parametrize(
    ("day", "number"),
    [
        ("2025-01-10", "1-OD"),
        ("2025-06-01", "1-OD"),
        ("2025-09-01", "2-OD"),
        ("2026-01-01", "2-OD"),
        ("2020-01-01", "1-OD"),
    ],
)
def test_the_version_in_force_on_a_day(client, auth, officer, upload, db, day, number):
    auth.login(officer)
    upload(number="1-OD", approved_on="2025-01-10")
    document = db.session.scalar(select(RegulatoryDocument))
    upload(document_id=document.id, number="2-OD", approved_on="2025-09-01")
    version = db.session.scalar(select(DocumentVersion).filter_by(number=number))
    page = client.get(f"/documents/code-of-ethics?on={day}").get_data(as_text=True)
    assert f'id="version-shown" data-version="{version.id}"' in page
    assert client.get("/documents/code-of-ethics?on=yesterday").status_code == 400


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00 not a pdf at all", "This file is not a PDF."),
        (b"%PDF-1.4\n truncated", "This file is not a PDF."),
        (
            pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
            "scripts",
        ),
        (b"%PDF-1.4\n" + b"0" * (256 * 1024 + 10) + b"\n%%EOF\n", "larger than 0.25 MB"),
    ],
)
def test_only_plain_pdfs_within_the_size_limit_are_kept(app, client, auth, officer, upload, db, content, message):
    app.config["ADAL_DOCUMENT_MAX_MB"] = 0.25  # a small file: the test client keeps it in memory
    try:
        auth.login(officer)
        response = upload(files={"kk": content})
    finally:
        app.config["ADAL_DOCUMENT_MAX_MB"] = 10
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(RegulatoryDocument)) is None


def test_a_version_needs_a_file_and_a_key_is_taken_once(client, auth, officer, upload, db):
    auth.login(officer)
    assert "Choose the PDF in at least one language." in upload(files={}).get_data(as_text=True)
    upload()
    again = upload()
    assert "A document with this key exists" in again.get_data(as_text=True)
    assert db.session.scalar(select(DocumentVersion.id).order_by(DocumentVersion.id.desc())) is not None
    assert len(db.session.scalars(select(DocumentVersion)).all()) == 1


def test_the_attestation_links_to_the_version_in_force_when_the_learner_signed(client, auth, officer, upload, make, db):
    auth.login(officer)
    upload(number="1-OD", approved_on="2024-01-10")
    document = db.session.scalar(select(RegulatoryDocument))
    upload(document_id=document.id, number="2-OD", approved_on="2099-01-01")  # approved, in force later
    auth.logout()
    course = build_course(db.session, slug="code-of-ethics", lessons=0, quiz=False, attestation=True)
    learner = make.user()
    enrolment = Enrolment(user=learner, course=course, course_slug=course.slug)
    db.session.add(enrolment)
    db.session.commit()
    module = course.modules[-1]
    auth.login(learner)

    page = client.get(f"/learning/{enrolment.id}/modules/{module.id}").get_data(as_text=True)
    assert 'id="document-full-text"' in page and 'href="/documents/code-of-ethics"' in page

    db.session.add(
        Attestation(
            enrolment_id=enrolment.id,
            user_id=learner.id,
            module_id=module.id,
            document_version="1",
            document_sha256="0" * 64,
            locale="en",
        )
    )
    db.session.commit()
    page = client.get(f"/learning/{enrolment.id}/modules/{module.id}").get_data(as_text=True)
    signed = datetime.now(ZoneInfo("Asia/Almaty")).date().isoformat()
    link = f"/documents/code-of-ethics?on={signed}"
    assert link in page
    first = db.session.scalar(select(DocumentVersion).filter_by(number="1-OD"))
    assert f'id="version-shown" data-version="{first.id}"' in client.get(link).get_data(as_text=True)


def test_a_course_without_a_document_has_no_link(client, auth, make, db):
    course = build_course(db.session, slug="code-of-ethics", lessons=0, quiz=False, attestation=True)
    learner = make.user()
    enrolment = Enrolment(user=learner, course=course, course_slug=course.slug)
    db.session.add(enrolment)
    db.session.commit()
    auth.login(learner)
    page = client.get(f"/learning/{enrolment.id}/modules/{course.modules[-1].id}").get_data(as_text=True)
    assert "document-full-text" not in page


def test_the_demo_publishes_the_code_of_ethics_as_plain_pdfs(app, db):
    demo.seed_demo_documents(db.session)
    db.session.commit()
    version = documents.find_document(db.session, "code-of-ethics").versions[0]
    for locale in ("kk", "ru", "en"):
        data = documents.pdf_path(app.config["ADAL_STORAGE_PATH"], version.files[locale]["sha256"]).read_bytes()
        documents.check_pdf(data, 10 * 1024 * 1024)  # what an upload must pass
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
        assert " ".join(demo.TITLE[locale].split()) in " ".join(text.split())
    demo.seed_demo_documents(db.session)  # a second run adds nothing
    assert len(db.session.scalars(select(DocumentVersion)).all()) == 1


def test_the_audit_log_tells_uploads_in_words(client, auth, officer, upload, db):
    auth.login(officer)
    upload(number="1-OD")
    document = db.session.scalar(select(RegulatoryDocument))
    upload(document_id=document.id, number="2-OD", approved_on="2025-06-01")
    page = client.get("/office/audit/").get_data(as_text=True)
    assert "added the regulatory document" in page and "uploaded version 2-OD of the regulatory document" in page
    assert 'href="/documents/code-of-ethics"' in page
