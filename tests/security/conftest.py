"""One data set shared by a whole security test module: a person of every role and one of every object.

The root ``db`` fixture empties the tables after each test, so these modules build their rows once
in a module-scoped app context instead, and empty the tables when the module ends.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from campaigns import tracking
from courses import content
from courses.certificates import issuing
from courses.models import Assignment, CertificateExport, QuizAttempt
from lms.audit import trail
from lms.database import utcnow
from lms.extensions import db as _db
from lms.extensions import limiter
from lms.models import OutboxMessage, Role, UserRole
from lms.people.uploads import keep_upload
from tests import factories
from tests.campaigns.helpers import make_campaign
from tests.conftest import _empty_all_tables
from tests.courses.builders import build_course, enrol, module_of

#: Who asks, in the order of the matrix's columns.
ROLES = ("anonymous", "learner", "other", "author", "scoped", "officer", "admin")


@dataclass
class World:
    """Ids of the shared objects (URL arguments) and a signed-in client per role."""

    args: dict = field(default_factory=dict)
    clients: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)


def _client(app) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture(scope="module")
def world(app):
    """Build every object once; the learner owns the enrolment, attempt and certificate."""
    ctx = app.app_context()
    ctx.push()
    session = _db.session
    make = factories.Builders(session)
    faculty = make.unit(kind="faculty")
    home = make.unit(parent=faculty)
    elsewhere = make.unit(parent=faculty)
    users = {
        "learner": make.user(unit=home, full_name="Learner One"),
        "other": make.user(unit=home, full_name="Learner Two"),
        "author": make.user(roles=[Role.AUTHOR], unit=home),
        "officer": make.user(roles=[Role.OFFICER]),
        "admin": make.user(roles=[Role.ADMIN]),
    }
    scoped = make.user(unit=elsewhere)
    scoped.roles.append(UserRole(role=Role.OFFICER, scope_unit_id=elsewhere.id))
    session.commit()
    users["scoped"] = scoped

    course = build_course(session, lessons=1, attestation=True)
    lesson = module_of(course, "lesson-1")
    quiz = module_of(course, "quiz")
    enrolment = enrol(session, users["learner"], course)
    attempt = QuizAttempt(enrolment_id=enrolment.id, module_id=quiz.id, number=1, seed=1, draw=[])
    session.add(attempt)
    enrolment.status = "completed"
    enrolment.completed_at = utcnow()
    enrolment.score = 90
    session.flush()
    cert = issuing.issue_certificate(session, enrolment)
    files = content.course_files_dir(app.config["ADAL_STORAGE_PATH"], course.id)
    files.mkdir(parents=True, exist_ok=True)
    (files / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    assignment = Assignment(course_slug=course.slug, audience={"kind": "all"}, due_days=30)
    session.add(assignment)
    campaign = make_campaign(session)
    message = OutboxMessage(
        dedup_key="security-1",
        message_id="<security-1@adal.test>",
        category="awareness",
        user_id=users["learner"].id,
        to_addr=users["learner"].email,
        subject="Hello",
        body_text="Hello",
        body_html="<p>Hello</p>",
        headers={},
    )
    session.add(message)
    export = CertificateExport(
        requested_by_id=users["officer"].id, course_slug=course.slug, status="done", file_path="exports/security.zip"
    )
    zipped = Path(app.config["ADAL_STORAGE_PATH"]) / export.file_path
    zipped.parent.mkdir(parents=True, exist_ok=True)
    zipped.write_bytes(b"PK\x05\x06" + bytes(18))
    session.add(export)
    trail.record(session, "security.test", users["learner"], actor=users["admin"])
    session.commit()
    case_args = _reported_case(session, make)  # concerns (issue 13)
    public_args = _public_document(app, session)  # the public page (issue 13)
    event_args = _event(session)  # events (issue 14)

    token = tracking.message_token(message.message_id)
    world = World(users=users)
    world.args = {
        "course_id": course.id,
        "module_id": lesson.id,
        "question_id": quiz.questions[0].id,
        "kind": "single",
        "enrolment_id": enrolment.id,
        "attempt_id": attempt.id,
        "name": "picture.png",
        "cert_id": cert.id,
        "code": cert.code,
        "export_id": export.id,
        "assignment_id": assignment.id,
        "user_id": users["learner"].id,
        "unit_id": home.id,
        "slug": course.slug,
        "fmt": "csv",
        "campaign_id": campaign.id,
        "step_id": campaign.steps[0].id,
        "action": "pause",
        "key": "integrity-before-exams",
        "message_id": message.id,
        "import_token": keep_upload(
            f"email,full_name,kind,unit\nnew.person@example.kz,New Person,student,{home.code}\n".encode(),
            "people.csv",
            users["officer"].id,
        ),
        "password_token": "not-a-real-token",
        "track_token": token,
        "url_token": tracking.click_url(token, "https://example.org/").rsplit("/", 1)[1],
        "unsubscribe_token": tracking.unsubscribe_url(users["learner"].id, "awareness", campaign.id).rsplit("/", 1)[1],
        "filename": "css/adal.css",
        "bootstrap_filename": "css/bootstrap.min.css",
    }
    world.args.update(case_args)
    world.args.update(public_args)
    world.args.update(event_args)
    world.args["modules"] = {"lesson": lesson.id, "quiz": quiz.id, "attestation": module_of(course, "code").id}
    world.clients = {role: _client(app) for role in ROLES}
    sign_in(world)
    yield world
    session.rollback()
    session.remove()
    _empty_all_tables()
    ctx.pop()


def _event(session) -> dict:
    """A published event open to everyone, with one session (events, issue 14)."""
    from tests.events.helpers import make_event

    event = make_event(session, capacity=50)
    return {"event_id": event.id, "session_id": event.sessions[0].id}


def _reported_case(session, make) -> dict:
    """A reported case with a file and an identity request waiting: real objects behind the case URLs."""
    from sqlalchemy import select

    from concerns import identity
    from concerns.attachments import CleanFile
    from concerns.models import Case
    from concerns.reporting import Report, file_report

    report = Report(category="bribery", what="Security world case", name="Named Reporter")
    receipt = file_report(session, report, [CleanFile("note.txt", "text/plain", b"note")])
    case = session.scalar(select(Case).where(Case.number == receipt.number))
    handler = make.user(roles=[Role.CASE_HANDLER])
    request = identity.request_identity(session, case, handler, "needed to interview")
    session.commit()
    return {"number": case.number, "file_id": case.files[0].id, "request_id": request.id}


def _public_document(app, session) -> dict:
    """A regulatory document with a Kazakh PDF, and a report of last year for the transparency figures."""
    from concerns.models import CaseStatistic
    from public_page import documents
    from tests.public_page.conftest import pdf

    document = documents.create_document(session, "security-policy")
    version = documents.add_version(
        session,
        document,
        number="1",
        approved_on=utcnow().date(),
        title={"en": "Policy"},
        summary={},
        files={"kk": pdf()},
        storage=app.config["ADAL_STORAGE_PATH"],
        uploader=None,
    )
    session.add(CaseStatistic(received_year=utcnow().year - 1, category="other"))
    session.commit()
    return {
        "document_key": document.key,
        "document_id": document.id,
        "version_id": version.id,
        "locale": "kk",
        "method_key": "transparency",
    }


def sign_in(world: World) -> None:
    """Sign every person in through the real form, each in their own client."""
    for role, user in world.users.items():
        limiter.reset()
        response = world.clients[role].post("/login", data={"email": user.email, "password": factories.PASSWORD})
        assert response.status_code == 302, role
    limiter.reset()
