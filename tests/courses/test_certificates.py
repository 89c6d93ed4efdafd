"""Certificates: one per completion even under races, the PDF's content, verification, downloads,
revocation and re-issue, the background zip, and a fetcher that reaches nothing outside static/."""

import hashlib
import http.server
import io
import re
import subprocess
import threading
import zipfile
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import func, select

from courses.certificates import exports, issuing, lookup, rendering
from courses.certificates.codes import new_code
from courses.models import Certificate, CertificateExport, Enrolment, EnrolmentStatus, ExportStatus
from lms.database import utcnow
from lms.models import AuditEvent, Role, UserRole
from lms.pdf import render_pdf, static_base_url
from lms.pdf_engine import StaticOnlyFetcher
from lms.scheduler import registered_jobs
from lms.signals import course_completed
from tests.courses.builders import build_course, enrol

KAZAKH = "ә ғ қ ң ө ұ ү һ і"
KAZAKH_NAME = "Әсем Ғалымжанқызы Қоңырбаева-Өтегенова"
KAZAKH_TITLE = "Әдеп пен ғылыми адалдық: өмір, ұят, үлгі, һәм іс"


def complete(db, enrolment: Enrolment, score: int = 90, when=None) -> Certificate:
    """Complete an enrolment the way courses.progress does: update, fire the signal, commit."""
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.completed_at = when or utcnow()
    enrolment.score = score
    course_completed.send(current_app._get_current_object(), session=db.session, enrolment=enrolment)
    db.session.commit()
    return issuing.certificate_of(db.session, enrolment.id)


@pytest.fixture
def course(db):
    course = build_course(db.session, slug="integrity", validity_months=12)
    course.title = {"kk": KAZAKH_TITLE, "ru": "Основы честности", "en": "Integrity basics"}
    db.session.commit()
    return course


@pytest.fixture
def learner(make):
    return make.user(full_name=KAZAKH_NAME, locale="kk")


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with whitespace collapsed (lines wrap differently per layout)."""
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return " ".join(out.decode().split())


def pdf_pages(pdf: bytes, tmp_path) -> int:
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def test_completion_issues_a_one_page_pdf_with_name_code_and_kazakh_letters(db, course, learner, tmp_path):
    cert = complete(db, enrol(db.session, learner, course), score=92)
    assert len(cert.code) >= 22  # 16 random bytes, URL-safe base64: the row's own, never printed
    assert re.fullmatch(r"ADAL-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", cert.short_code)
    pdf = issuing.certificate_pdf(db.session, cert)
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() == cert.pdf_sha256
    assert pdf_pages(pdf, tmp_path) == 1
    text = pdf_text(pdf)
    assert KAZAKH_NAME in text
    assert cert.short_code in text and cert.code not in text
    assert KAZAKH_TITLE in text
    for letter in [*KAZAKH.split(), "Ә", "Ғ", "Қ", "Ө"]:
        assert letter in text, letter
    assert cert.holder_name == KAZAKH_NAME
    assert cert.locale == "kk"
    assert cert.score == 92
    assert lookup.certificate_status(cert) == "valid"
    assert cert.expires_at is not None
    events = db.session.scalars(select(AuditEvent.action)).all()
    assert events == ["certificate.issue"]


def test_bilingual_layout_prints_kazakh_and_russian(db, course, learner):
    rendering.save_layout_setting(db.session, "kk-ru")
    cert = complete(db, enrol(db.session, learner, course))
    text = pdf_text(issuing.certificate_pdf(db.session, cert))
    assert cert.layout == "kk-ru"
    assert KAZAKH_TITLE in text
    assert "Основы честности" in text


def test_completion_fired_twice_gives_one_certificate(db, course, learner):
    enrolment = enrol(db.session, learner, course)
    first = complete(db, enrolment)
    second = complete(db, enrolment)
    assert first.id == second.id
    assert db.session.scalar(select(func.count(Certificate.id))) == 1


def test_concurrent_completions_give_exactly_one_certificate(app, db, course, learner, monkeypatch):
    """Two threads, two connections, both told at the same moment that the enrolment completed.

    The enrolment is completed first (its row is not what they fight over), and both threads are
    held until each has rendered, so both found no certificate yet and both insert: the unique
    enrolment and ON CONFLICT DO NOTHING must keep exactly one.
    """
    enrolment = enrol(db.session, learner, course)
    enrolment.status, enrolment.completed_at, enrolment.score = EnrolmentStatus.COMPLETED, utcnow(), 88
    db.session.commit()
    enrolment_id = enrolment.id
    rendered = threading.Barrier(2)
    codes, errors = [], []
    real_render = rendering.render_pdf

    def render_then_wait(html):
        pdf = real_render(html)
        rendered.wait(timeout=30)
        return pdf

    monkeypatch.setattr(rendering, "render_pdf", render_then_wait)

    def complete_in_own_connection():
        from lms.extensions import db as _db

        try:
            with app.app_context():
                course_completed.send(app, session=_db.session, enrolment=_db.session.get(Enrolment, enrolment_id))
                _db.session.commit()
                codes.append(issuing.certificate_of(_db.session, enrolment_id).code)
                _db.session.remove()
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=complete_in_own_connection) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(codes) == 2 and codes[0] == codes[1]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "certificate.issue")) == 1


def test_the_real_completion_path_issues_one_certificate_from_two_threads(app, db, learner):
    """courses.progress.check_completion from two requests at once: one completion, one certificate."""
    from courses.learning.progress import check_completion
    from courses.models import ModuleProgress

    course = build_course(db.session, lessons=1, quiz=False, validity_months=12)
    enrolment = enrol(db.session, learner, course)
    db.session.add(ModuleProgress(enrolment_id=enrolment.id, module_id=course.modules[0].id, completed_at=utcnow()))
    db.session.commit()
    enrolment_id = enrolment.id
    start, outcomes, errors = threading.Barrier(2), [], []

    def complete():
        from lms.extensions import db as _db

        try:
            with app.test_request_context():
                mine = _db.session.get(Enrolment, enrolment_id)
                start.wait(timeout=10)
                outcomes.append(check_completion(_db.session, mine))
                _db.session.commit()
                _db.session.remove()
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(outcomes) == [False, True]
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    cert = issuing.certificate_of(db.session, enrolment_id)
    assert cert.expires_at is not None and cert.holder_name == KAZAKH_NAME


def _verify_state(client, code):
    """Status code, the state the page gives, and the result block's HTML."""
    response = client.get(f"/verify/{code}")
    body = response.get_data(as_text=True)
    result = body[body.index('id="verify-result"') : body.index("<form", body.index('id="verify-result"'))]
    return response.status_code, result.split('data-state="')[1].split('"')[0], result


def test_verification_says_valid_with_name_course_and_dates_only(client, db, course, learner):
    cert = complete(db, enrol(db.session, learner, course))
    status, state, body = _verify_state(client, cert.code)
    assert (status, state) == (200, "valid")
    assert KAZAKH_NAME in body
    assert learner.email not in body


def test_verification_says_expired_when_the_validity_ran_out(client, db, course, learner):
    long_ago = utcnow() - timedelta(days=400)
    cert = complete(db, enrol(db.session, learner, course), when=long_ago)
    assert lookup.certificate_status(cert) == "expired"
    assert _verify_state(client, cert.code)[:2] == (200, "expired")


def test_verification_says_revoked_and_the_revocation_is_audited(client, auth, make, db, course, learner):
    cert = complete(db, enrol(db.session, learner, course))
    officer = make.user(roles=[Role.OFFICER])
    auth.login(officer)
    response = client.post(f"/office/certificates/{cert.id}/revoke", data={"reason": "Quiz taken by someone else"})
    assert response.status_code == 302
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.revoke")).one()
    assert event.actor_id == officer.id
    assert event.target_id == str(cert.id)
    assert event.details["reason"] == "Quiz taken by someone else"
    status, state, body = _verify_state(client, cert.code)
    assert (status, state) == (200, "revoked")
    assert "someone else" not in body  # the reason stays in the office
    auth.logout()
    auth.login(learner)
    assert client.get(f"/certificates/{cert.id}.pdf").status_code == 404
    assert 'data-state="revoked"' in client.get("/certificates").get_data(as_text=True)


@pytest.mark.parametrize(
    "guess",
    ["AAAAAAAAAAAAAAAAAAAAAA", "1", "certificate-1", "x" * 200, "../etc/passwd", "%27%20OR%201=1"],
)
def test_unknown_codes_all_get_the_same_answer(client, db, course, learner, guess):
    complete(db, enrol(db.session, learner, course))
    reference = _verify_state(client, "zzzzzzzzzzzzzzzzzzzzzz")
    assert reference[:2] == (404, "unknown")
    assert _verify_state(client, guess) == reference


def test_verify_form_leads_to_the_code_page_and_is_rate_limited(app, client, db):
    assert client.get("/verify").status_code == 200
    response = client.get("/verify", query_string={"code": " abc "})
    assert response.status_code == 302 and response.headers["Location"].endswith("/verify/abc")
    limit = int(app.config["ADAL_VERIFY_LIMIT"].split()[0])
    for _ in range(limit - 2):
        client.get("/verify/unknown")
    assert client.get("/verify/unknown").status_code == 429


def test_learner_downloads_own_certificate_from_storage_and_not_anothers(
    client, auth, make, db, course, learner, monkeypatch
):
    mine = complete(db, enrol(db.session, learner, course))
    other = make.user()
    theirs = complete(db, enrol(db.session, other, course))
    auth.login(learner)

    def no_render(*_args, **_kwargs):
        raise AssertionError("a GET must not render")

    monkeypatch.setattr(rendering, "render_pdf", no_render)
    response = client.get(f"/certificates/{mine.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert hashlib.sha256(response.data).hexdigest() == mine.pdf_sha256
    assert client.get(f"/certificates/{theirs.id}.pdf").status_code == 404
    assert client.get(f"/office/certificates/{theirs.id}.pdf").status_code == 403
    page = client.get("/certificates").get_data(as_text=True)
    assert mine.short_code in page and theirs.short_code not in page


def test_my_certificates_shows_expired(client, auth, db, course, learner):
    complete(db, enrol(db.session, learner, course), when=utcnow() - timedelta(days=400))
    auth.login(learner)
    page = client.get("/certificates").get_data(as_text=True)
    assert 'data-state="expired"' in page


def test_reissue_after_name_correction_keeps_the_code_and_is_audited(client, auth, make, db, course, learner):
    cert = complete(db, enrol(db.session, learner, course))
    old_sha = cert.pdf_sha256
    auth.login(make.user(roles=[Role.OFFICER]))
    assert KAZAKH_NAME in client.get(f"/office/certificates/{cert.id}").get_data(as_text=True)
    response = client.post(f"/office/certificates/{cert.id}/reissue", data={"holder_name": "Әсем Қасымова"})
    assert response.status_code == 302
    db.session.expire_all()
    cert = db.session.get(Certificate, cert.id)
    assert cert.holder_name == "Әсем Қасымова"
    assert cert.pdf_sha256 != old_sha
    assert "Әсем Қасымова" in pdf_text(issuing.certificate_pdf(db.session, cert))
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate.reissue")).one()
    assert event.details["old_name"] == KAZAKH_NAME and event.details["old_sha256"] == old_sha
    assert _verify_state(client, cert.code)[1] == "valid"


def test_office_pages_need_an_officer_in_scope(client, auth, make, db, course, learner):
    inside, outside = make.unit(), make.unit()
    learner.org_unit = outside
    db.session.commit()
    cert = complete(db, enrol(db.session, learner, course))
    head = make.user(roles=[Role.OFFICER])
    db.session.get(UserRole, head.roles[0].id).scope_unit_id = inside.id
    db.session.commit()
    auth.login(head)
    assert client.get(f"/office/certificates/{cert.id}").status_code == 404
    assert client.get(f"/office/certificates/{cert.id}.pdf").status_code == 404
    assert cert.code not in client.get("/office/certificates").get_data(as_text=True)


def test_office_list_is_a_bounded_number_of_queries(client, auth, make, db, course, count_queries):
    auth.login(make.user(roles=[Role.ADMIN]))

    def add_certificates(n):
        for _ in range(n):
            person = make.user()
            enrolment = enrol(db.session, person, course)
            db.session.add(
                Certificate(
                    code=new_code(),
                    enrolment_id=enrolment.id,
                    user_id=person.id,
                    course_id=course.id,
                    holder_name=person.full_name,
                    locale="en",
                    pdf=b"%PDF-",
                )
            )
        db.session.commit()

    add_certificates(2)
    with count_queries() as few:
        assert client.get("/office/certificates").status_code == 200
    add_certificates(8)
    with count_queries() as many:
        page = client.get("/office/certificates", query_string={"status": "valid"})
    assert page.status_code == 200
    assert len(many) == len(few)


def test_zip_holds_one_pdf_per_completion(app, client, auth, make, db, course):
    assert "certificate-exports" in {job.id for job in registered_jobs(app)}
    holders = [make.user() for _ in range(3)]
    codes = {complete(db, enrol(db.session, person, course)).short_code for person in holders}
    other_course = build_course(db.session, slug="other")
    complete(db, enrol(db.session, holders[0], other_course))
    auth.login(make.user(roles=[Role.OFFICER]))
    response = client.post("/office/certificates/exports", data={"course_slug": "integrity", "unit_id": "0"})
    assert response.status_code == 302
    export = db.session.scalars(select(CertificateExport)).one()
    assert export.status == ExportStatus.QUEUED
    assert 'data-status="queued"' in client.get(response.headers["Location"]).get_data(as_text=True)

    exports.run_certificate_exports()  # what the scheduler's job does

    db.session.expire_all()
    export = db.session.get(CertificateExport, export.id)
    assert (export.status, export.done, export.total) == (ExportStatus.DONE, 3, 3)
    download = client.get(f"/office/certificates/exports/{export.id}/download")
    assert download.status_code == 200
    data = download.data
    download.close()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert len(names) == 3
        assert {next(c for c in codes if name.endswith(f"-{c}.pdf")) for name in names} == codes
        assert all(archive.read(name).startswith(b"%PDF") for name in names)


def test_an_export_abandoned_by_a_stopped_scheduler_is_built_again(db, course, learner):
    complete(db, enrol(db.session, learner, course))
    stale = CertificateExport(course_slug=course.slug, status=ExportStatus.RUNNING)
    stale.created_at = utcnow() - timedelta(hours=3)
    fresh = CertificateExport(course_slug=course.slug, status=ExportStatus.RUNNING)
    db.session.add_all([stale, fresh])
    db.session.commit()
    exports.run_certificate_exports()
    db.session.expire_all()
    assert (stale.status, stale.done) == (ExportStatus.DONE, 1)
    assert fresh.status == ExportStatus.RUNNING  # may still be running in another scheduler


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *_args):
        pass


def test_a_template_with_outside_urls_renders_without_fetching_them(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    outside = f"http://127.0.0.1:{server.server_port}"
    html = f"""<html><head>
      <link rel="stylesheet" href="{outside}/evil.css">
      <link rel="stylesheet" href="file:///etc/passwd">
      <style>@import url("{outside}/imported.css"); body {{ background: url("{outside}/bg.png") }}</style>
      </head><body><p>Hello {KAZAKH}</p>
      <img src="{outside}/pixel.png"><img src="file:///etc/passwd"><img src="../../../../etc/passwd">
      <iframe src="{outside}/frame"></iframe><object data="file:///etc/passwd"></object>
      </body></html>"""
    try:
        pdf = render_pdf(html, static_base_url())
    finally:
        server.shutdown()
        server.server_close()
    assert _CountingHandler.hits == []
    text = pdf_text(pdf)
    assert "Hello" in text and "root:" not in text


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "http://127.0.0.1:9/x.css", "https://example.com/a.png", "ftp://example.com/x"],
)
def test_the_fetcher_refuses_everything_outside_static(url):
    with pytest.raises(ValueError):
        StaticOnlyFetcher().fetch(url)


def test_the_fetcher_serves_static_files_but_not_a_way_out_of_them():
    fetcher = StaticOnlyFetcher()
    response = fetcher.fetch(static_base_url() + "css/certificate.css")
    assert b"@page" in response.read() and response.content_type == "text/css"
    response.close()
    with pytest.raises(ValueError):
        fetcher.fetch(static_base_url() + "../lms/config.py")


def test_the_course_title_is_quoted_the_way_each_language_quotes(db, course, make):
    english = complete(db, enrol(db.session, make.user(locale="en"), course))
    assert "“Integrity basics”" in pdf_text(issuing.certificate_pdf(db.session, english))
    russian = complete(db, enrol(db.session, make.user(locale="ru"), course))
    assert "«Основы честности»" in pdf_text(issuing.certificate_pdf(db.session, russian))


def test_an_export_that_waited_in_the_queue_is_not_taken_twice(db, course, learner):
    """Staleness counts from the claim: a request 3 hours old, claimed now, is not handed out again."""
    complete(db, enrol(db.session, learner, course))
    waited = CertificateExport(course_slug=course.slug, status=ExportStatus.QUEUED)
    waited.created_at = utcnow() - timedelta(hours=3)
    db.session.add(waited)
    db.session.commit()
    assert exports.claim_export(db.session).id == waited.id
    assert exports.claim_export(db.session) is None  # a second scheduler finds nothing to take
