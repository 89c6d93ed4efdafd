"""Who may open what: every URL rule and method of the app, asked by every kind of person.

The table below says, route by route, what each of seven people gets: a visitor, the learner who
owns the objects, another learner, a course author, an officer scoped to another unit than the
learner's, a university-wide officer, an administrator. A route added without a row fails
``test_every_route_is_in_the_table``.
"""

import re
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook

from lms.extensions import limiter
from tests.security.conftest import ROLES, sign_in

#: Allowed: the request got past every check (any answer but 403, 404, 405, 5xx or the sign-in page).
OK = "ok"
#: Sent to the sign-in page.
LOGIN = "login"
#: A public page: answered without signing in (an error page for a bad token is fine, not 5xx).
PUBLIC = "public"
#: A readiness probe: answered without signing in, 200 when ready or 503 when not (no scheduler runs
#: here), both an answer; anything else of 5xx is not.
PROBE = "probe"

#: Columns: anonymous, learner (owner), other learner, author, scoped officer, officer, admin.
EVERYONE = (PUBLIC,) * 7
SIGNED_IN = (LOGIN, OK, OK, OK, OK, OK, OK)
OWNER = (LOGIN, OK, 404, 404, 404, 404, 404)
AUTHOR = (LOGIN, 403, 403, OK, 403, 403, OK)
OFFICE = (LOGIN, 403, 403, 403, OK, OK, OK)
#: Office pages about the learner (a person of another unit than the scoped officer's).
OFFICE_PERSON = (LOGIN, 403, 403, 403, 404, OK, OK)
#: University-wide office pages: a unit-scoped officer may not see or act on the whole university.
OFFICE_WIDE = (LOGIN, 403, 403, 403, 403, OK, OK)
#: The certificate export belongs to the officer who asked for it (and admins).
OWN_EXPORT = (LOGIN, 403, 403, 403, 404, OK, OK)
#: The kept import file belongs to the officer who uploaded it.
OWN_IMPORT = (LOGIN, 403, 403, 403, 404, OK, 404)
#: Course files: for people enrolled in the course, its authors and the office.
COURSE_FILE = (LOGIN, OK, 404, OK, OK, OK, OK)
#: /metrics answers anyone on the machine itself (the test client's 127.0.0.1) and 404s others
#: without the token (tests/lms/test_health.py asks from another address).
LOOPBACK = (PUBLIC,) * 7
#: Only administrators (resetting a person's second factor).
ADMIN_ONLY = (LOGIN, 403, 403, 403, 403, 403, OK)
#: Reported cases: only case handlers and custodians, whom none of the seven is (admins neither), open
#: them; everyone else gets 404, as for a case that does not exist (tests/concerns test a real handler).
CASES = (404,) * 7

MATRIX = {
    "GET /": EVERYONE,  # visitors see the public page, the signed-in are sent to their landing page
    "GET /login": EVERYONE,
    "POST /login": EVERYONE,
    "POST /logout": SIGNED_IN,
    "POST /logout/everywhere": SIGNED_IN,
    "GET /password/forgot": EVERYONE,
    "POST /password/forgot": EVERYONE,
    "GET /password/reset/<token>": EVERYONE,
    "POST /password/reset/<token>": EVERYONE,
    "GET /invitation/<token>": EVERYONE,
    "POST /invitation/<token>": EVERYONE,
    "GET /profile": SIGNED_IN,
    "POST /profile": SIGNED_IN,
    "GET /profile/email": SIGNED_IN,
    "POST /profile/email": SIGNED_IN,
    # The code after the password: without a password just given, everyone is sent to the sign-in page.
    "GET /login/code": SIGNED_IN,
    "POST /login/code": SIGNED_IN,
    "GET /profile/two-factor": SIGNED_IN,
    "POST /profile/two-factor": SIGNED_IN,
    "POST /language": EVERYONE,
    "GET /static/<path:filename>": EVERYONE,
    "GET /bootstrap/static/<path:filename>": EVERYONE,
    "GET /verify": EVERYONE,
    "GET /verify/<path:code>": EVERYONE,
    "GET /t/o/<token>.gif": EVERYONE,
    "GET /t/c/<token>/<url_token>": EVERYONE,
    "GET /unsubscribe/<token>": EVERYONE,
    "POST /unsubscribe/<token>": EVERYONE,
    "GET /healthz": EVERYONE,
    "GET /readyz": (PROBE,) * 7,
    "GET /metrics": LOOPBACK,
    # Learning
    "GET /learning": SIGNED_IN,
    "GET /learning/<int:enrolment_id>": OWNER,
    "GET /learning/<int:enrolment_id>/completed": OWNER,
    "GET /learning/<int:enrolment_id>/modules/<int:module_id>": OWNER,
    "POST /learning/<int:enrolment_id>/modules/<int:module_id>/read": OWNER,
    "POST /learning/<int:enrolment_id>/modules/<int:module_id>/start": OWNER,
    "POST /learning/<int:enrolment_id>/modules/<int:module_id>/accept": OWNER,
    "GET /learning/<int:enrolment_id>/attempts/<int:attempt_id>": OWNER,
    "POST /learning/<int:enrolment_id>/attempts/<int:attempt_id>": OWNER,
    "GET /learning/files/<int:course_id>/<path:name>": COURSE_FILE,
    "GET /certificates": SIGNED_IN,
    "GET /certificates/<int:cert_id>.pdf": OWNER,
    # Authoring
    "GET /author/": AUTHOR,
    "GET /author/courses/new": AUTHOR,
    "POST /author/courses/new": AUTHOR,
    "GET /author/import": AUTHOR,
    "POST /author/import": AUTHOR,
    "POST /author/preview": AUTHOR,
    "GET /author/courses/<int:course_id>": AUTHOR,
    "GET /author/courses/<int:course_id>/settings": AUTHOR,
    "POST /author/courses/<int:course_id>/settings": AUTHOR,
    "GET /author/courses/<int:course_id>/export.zip": AUTHOR,
    "POST /author/courses/<int:course_id>/draft": AUTHOR,
    "POST /author/courses/<int:course_id>/publish": AUTHOR,
    "POST /author/courses/<int:course_id>/archive": AUTHOR,
    "POST /author/courses/<int:course_id>/modules": AUTHOR,
    "POST /author/courses/<int:course_id>/order": AUTHOR,
    "GET /author/modules/<int:module_id>": AUTHOR,
    "POST /author/modules/<int:module_id>": AUTHOR,
    "POST /author/modules/<int:module_id>/delete": AUTHOR,
    "GET /author/modules/<int:module_id>/questions": AUTHOR,
    "GET /author/modules/<int:module_id>/questions/new/<kind>": AUTHOR,
    "POST /author/modules/<int:module_id>/questions/new/<kind>": AUTHOR,
    "GET /author/questions/<int:question_id>": AUTHOR,
    "POST /author/questions/<int:question_id>": AUTHOR,
    "POST /author/questions/<int:question_id>/delete": AUTHOR,
    # Office: people, audit, mailbox, settings
    "GET /office/people/": OFFICE,
    "GET /office/people/<int:user_id>": OFFICE_PERSON,
    "POST /office/people/<int:user_id>": OFFICE_PERSON,
    "POST /office/people/<int:user_id>/active": OFFICE_PERSON,
    "POST /office/people/<int:user_id>/two-factor/reset": ADMIN_ONLY,
    "GET /office/people/import": OFFICE,
    "POST /office/people/import": OFFICE,
    "GET /office/people/import/<token>": OWN_IMPORT,
    "POST /office/people/import/<token>/apply": OWN_IMPORT,
    "GET /office/audit/": OFFICE_WIDE,
    "GET /office/audit/export.csv": OFFICE_WIDE,
    "GET /office/mailbox/": OFFICE,
    "GET /office/mailbox/<int:message_id>": OFFICE_PERSON,
    "GET /office/mailbox/<int:message_id>/html": OFFICE_PERSON,
    "POST /office/mailbox/<int:message_id>/resend": OFFICE_PERSON,
    "POST /office/mailbox/resend": OFFICE,
    "GET /office/settings": OFFICE_WIDE,
    "GET /office/status": OFFICE_WIDE,
    "GET /office/units/": OFFICE,
    "GET /office/units/new": OFFICE_WIDE,
    "POST /office/units/new": OFFICE_WIDE,
    "GET /office/units/<int:unit_id>": OFFICE_WIDE,
    "POST /office/units/<int:unit_id>": OFFICE_WIDE,
    "POST /office/settings": OFFICE_WIDE,
    # Office: courses
    "GET /office/courses/": OFFICE,
    "GET /office/courses/progress/<slug>": OFFICE,
    "GET /office/courses/progress/<slug>/export.<any(csv, xlsx):fmt>": OFFICE,
    "GET /office/courses/signatures/": OFFICE,
    "GET /office/courses/signatures/export.<any(csv, xlsx):fmt>": OFFICE,
    "GET /office/dashboard/": OFFICE,
    "GET /office/dashboard/units/<int:unit_id>": OFFICE_PERSON,
    "GET /office/dashboard/courses/<slug>": OFFICE,
    "GET /office/dashboard/quizzes/<int:module_id>": OFFICE_WIDE,
    "GET /office/dashboard/report.<any(csv, xlsx, pdf):fmt>": OFFICE,
    "GET /office/dashboard/people.<any(csv, xlsx):fmt>": OFFICE,
    "GET /office/courses/people/<int:user_id>": OFFICE_PERSON,
    "GET /office/courses/assignments": OFFICE,
    "GET /office/courses/assignments/new": OFFICE_WIDE,
    "POST /office/courses/assignments/new": OFFICE_WIDE,
    "POST /office/courses/assignments/<int:assignment_id>/end": OFFICE_WIDE,
    "GET /office/courses/audience/count": OFFICE,
    # Office: certificates
    "GET /office/certificates": OFFICE,
    "GET /office/certificates/<int:cert_id>": OFFICE_PERSON,
    "GET /office/certificates/<int:cert_id>.pdf": OFFICE_PERSON,
    "POST /office/certificates/<int:cert_id>/revoke": OFFICE_PERSON,
    "POST /office/certificates/<int:cert_id>/reissue": OFFICE_PERSON,
    "POST /office/certificates/layout": OFFICE_WIDE,
    "POST /office/certificates/exports": OFFICE,
    "GET /office/certificates/exports/<int:export_id>": OWN_EXPORT,
    "GET /office/certificates/exports/<int:export_id>/download": OWN_EXPORT,
    # Events (issue 14): attendees' pages for the signed-in, the office's university-wide
    "GET /events/": SIGNED_IN,
    "GET /events/<int:event_id>": SIGNED_IN,
    "POST /events/<int:event_id>/sessions/<int:session_id>/register": SIGNED_IN,
    "POST /events/<int:event_id>/sessions/<int:session_id>/cancel": SIGNED_IN,
    "GET /events/<int:event_id>/sessions/<int:session_id>/invite.ics": SIGNED_IN,
    "GET /office/events/": OFFICE_WIDE,
    "GET /office/events/new": OFFICE_WIDE,
    "POST /office/events/new": OFFICE_WIDE,
    "GET /office/events/<int:event_id>": OFFICE_WIDE,
    "GET /office/events/<int:event_id>/edit": OFFICE_WIDE,
    "POST /office/events/<int:event_id>/edit": OFFICE_WIDE,
    "POST /office/events/<int:event_id>/publish": OFFICE_WIDE,
    "POST /office/events/<int:event_id>/cancel": OFFICE_WIDE,
    "GET /office/events/<int:event_id>/sessions/new": OFFICE_WIDE,
    "POST /office/events/<int:event_id>/sessions/new": OFFICE_WIDE,
    "GET /office/events/<int:event_id>/sessions/<int:session_id>": OFFICE_WIDE,
    "POST /office/events/<int:event_id>/sessions/<int:session_id>": OFFICE_WIDE,
    "POST /office/events/<int:event_id>/sessions/<int:session_id>/cancel": OFFICE_WIDE,
    "GET /office/events/<int:event_id>/sessions/<int:session_id>/registrations": OFFICE_WIDE,
    # Events (issue 14), the door and attendance: check-in, downloads, feedback
    "GET /office/events/sessions/<int:session_id>/check-in": OFFICE_WIDE,
    "POST /office/events/sessions/<int:session_id>/check-in": OFFICE_WIDE,
    "GET /office/events/sessions/<int:session_id>/registrations.<any(csv, xlsx):fmt>": OFFICE_WIDE,
    "GET /office/events/sessions/<int:session_id>/sign-in-sheet.pdf": OFFICE_WIDE,
    "GET /office/events/sessions/<int:session_id>/feedback": OFFICE_WIDE,
    "GET /events/sessions/<int:session_id>/feedback": SIGNED_IN,
    "POST /events/sessions/<int:session_id>/feedback": SIGNED_IN,
    # Office: campaigns (university-wide mail: not for unit-scoped officers)
    "GET /office/campaigns/": OFFICE_WIDE,
    "GET /office/campaigns/new": OFFICE_WIDE,
    "POST /office/campaigns/new": OFFICE_WIDE,
    "GET /office/campaigns/templates": OFFICE_WIDE,
    "POST /office/campaigns/templates/<key>": OFFICE_WIDE,
    "GET /office/campaigns/audience-count": OFFICE_WIDE,
    "GET /office/campaigns/<int:campaign_id>": OFFICE_WIDE,
    "GET /office/campaigns/<int:campaign_id>/edit": OFFICE_WIDE,
    "POST /office/campaigns/<int:campaign_id>/edit": OFFICE_WIDE,
    "GET /office/campaigns/<int:campaign_id>/steps/new": OFFICE_WIDE,
    "POST /office/campaigns/<int:campaign_id>/steps/new": OFFICE_WIDE,
    "GET /office/campaigns/<int:campaign_id>/steps/<int:step_id>": OFFICE_WIDE,
    "POST /office/campaigns/<int:campaign_id>/steps/<int:step_id>": OFFICE_WIDE,
    "GET /office/campaigns/<int:campaign_id>/preview": OFFICE_WIDE,
    "GET /office/campaigns/<int:campaign_id>/preview.html": OFFICE_WIDE,
    "GET /office/campaigns/<int:campaign_id>/progress.json": OFFICE_WIDE,
    "GET /office/campaigns/<int:campaign_id>/recipients.<any(csv, xlsx):fmt>": OFFICE_WIDE,
    "POST /office/campaigns/<int:campaign_id>/test": OFFICE_WIDE,
    "POST /office/campaigns/<int:campaign_id>/<any(schedule, pause, resume, cancel, resend):action>": OFFICE_WIDE,
    # Reported concerns (issue 13): the reporting channel is for everyone, the cases for handlers only
    "GET /report": EVERYONE,
    "POST /report": EVERYONE,
    "GET /report/follow-up": EVERYONE,
    "POST /report/follow-up": EVERYONE,
    "GET /report/privacy": EVERYONE,
    "GET /cases/": CASES,
    "GET /cases/<number>": CASES,
    "POST /cases/<number>/status": CASES,
    "POST /cases/<number>/unit": CASES,
    "POST /cases/<number>/messages": CASES,
    "POST /cases/<number>/notes": CASES,
    "GET /cases/<number>/files/<int:file_id>": CASES,
    "POST /cases/<number>/identity": CASES,
    "GET /cases/custody": CASES,
    "POST /cases/custody/<int:request_id>": CASES,
    "GET /cases/handlers": CASES,
    "POST /cases/handlers": CASES,
    # The public page (issue 13): for everyone; its editing, for university-wide officers and admins
    "GET /about": EVERYONE,
    "GET /transparency": EVERYONE,
    "GET /documents/<document_key>": EVERYONE,
    "GET /documents/<document_key>/<int:version_id>/<any(kk, ru, en):locale>.pdf": EVERYONE,
    "GET /office/public/": OFFICE_WIDE,
    "GET /office/public/methods/<method_key>": OFFICE_WIDE,
    "POST /office/public/methods/<method_key>": OFFICE_WIDE,
    "GET /office/public/documents/new": OFFICE_WIDE,
    "POST /office/public/documents/new": OFFICE_WIDE,
    "GET /office/public/documents/<int:document_id>/versions/new": OFFICE_WIDE,
    "POST /office/public/documents/<int:document_id>/versions/new": OFFICE_WIDE,
    "POST /office/public/figures": OFFICE_WIDE,
}

#: Requests that change the shared rows for good run last, in this order.
LAST = (
    "POST /author/questions/<int:question_id>/delete",
    "POST /author/modules/<int:module_id>/delete",
    "POST /author/courses/<int:course_id>/archive",
    "POST /office/certificates/<int:cert_id>/revoke",
    "POST /office/people/<int:user_id>/active",
    "POST /office/events/<int:event_id>/sessions/<int:session_id>/cancel",  # events (issue 14)
    "POST /office/events/<int:event_id>/cancel",
    "POST /logout",
    "POST /logout/everywhere",
)


#: Form data for requests whose empty form would do something the later rows cannot live with.
FORM = {"POST /office/people/<int:user_id>/active": {"active": "1"}}


def _routes(app) -> set[str]:
    return {
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    }


def test_every_route_is_in_the_table(app):
    routes = _routes(app)
    assert sorted(routes - MATRIX.keys()) == [], "new routes: add them to MATRIX"
    assert sorted(MATRIX.keys() - routes) == [], "routes gone: remove them from MATRIX"


def _order(key: str) -> tuple:
    return (key in LAST, LAST.index(key) if key in LAST else 0, key.startswith("POST"), key)


def _url(app, rule, args: dict) -> str:
    values = {}
    for name in rule.arguments:
        if name in (rule.defaults or {}):
            continue
        if name == "token":
            values[name] = _token_for(rule.rule, args)
        elif name == "filename":
            values[name] = args["bootstrap_filename" if rule.endpoint.startswith("bootstrap") else "filename"]
        elif name == "module_id" and "/learning/" in rule.rule:
            values[name] = args["modules"][_learning_module(rule.rule)]
        elif name == "module_id" and ("questions" in rule.rule or "quizzes" in rule.rule):
            values[name] = args["modules"]["quiz"]
        else:
            values[name] = args[name]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def _token_for(rule: str, args: dict) -> str:
    if rule.startswith("/t/"):
        return args["track_token"]
    if rule.startswith("/unsubscribe"):
        return args["unsubscribe_token"]
    if rule.startswith("/office/people/import"):
        return args["import_token"]
    return args["password_token"]


def _learning_module(rule: str) -> str:
    if rule.endswith("/start"):
        return "quiz"
    if rule.endswith("/accept"):
        return "attestation"
    return "lesson"


def _rule(app, key: str):
    method, path = key.split(" ", 1)
    return next(r for r in app.url_map.iter_rules() if r.rule == path and method in r.methods)


def _outcome(response, signed_in: bool, probe: bool = False) -> object:
    """What the person got; a signed-in person is sent to /login only when signing out."""
    if probe and response.status_code == 503:
        return OK
    target = urlsplit(response.headers.get("Location", ""))
    if response.status_code in (302, 303) and target.path == "/login" and (not signed_in or "next=" in target.query):
        return LOGIN
    if response.status_code in (403, 404, 405):
        return response.status_code
    assert response.status_code < 500, response.status_code
    return OK


@pytest.mark.parametrize("key", sorted(MATRIX, key=_order))
def test_access(app, world, key):
    rule = _rule(app, key)
    method = key.split(" ", 1)[0]
    url = _url(app, rule, world.args)
    got = {}
    for role in ROLES:
        limiter.reset()
        response = world.clients[role].open(url, method=method, data=FORM.get(key))
        got[role] = _outcome(response, role != "anonymous", probe=MATRIX[key][0] == PROBE)
        response.close()
    if key in ("POST /logout", "POST /logout/everywhere"):
        sign_in(world)  # for the tests that follow
    expected = dict(zip(ROLES, MATRIX[key], strict=True))
    for role, want in expected.items():
        if want in (PUBLIC, PROBE):
            expected[role] = OK
    assert got == expected, url


@pytest.mark.parametrize(
    "url",
    [
        "/office/people/",
        "/office/people/?q=learner",
        "/office/courses/progress/{slug}",
        "/office/courses/progress/{slug}/export.csv",
        "/office/courses/progress/{slug}/export.xlsx",
        "/office/certificates",
        "/office/certificates?q=Learner",
        "/office/mailbox/",
    ],
)
def test_scoped_lists_leave_out_other_units(app, world, url):
    """A unit head's lists and exports name nobody outside their unit (the learner is in another)."""
    learner = world.users["learner"]
    url = url.format(slug=world.args["slug"])
    for role, present in (("officer", True), ("scoped", False)):
        response = world.clients[role].get(url)
        assert response.status_code == 200, (role, url)
        body = response.get_data()
        response.close()
        if url.endswith(".xlsx"):
            sheet = load_workbook(BytesIO(body)).active
            body = " ".join(str(c.value) for row in sheet.iter_rows() for c in row).encode()
        assert (learner.email.encode() in body or learner.full_name.encode() in body) == present, (role, url)


@pytest.mark.parametrize("start", ["/profile", "/office/units/", "/office/people/"])
def test_office_links_a_person_sees_open_for_them(app, world, start):
    """Every office link (menu and page) a person sees opens for them: no link to a 403."""
    for role in ("author", "scoped", "officer", "admin"):
        response = world.clients[role].get(start)
        if response.status_code == 403:
            continue
        page = response.get_data(as_text=True)
        links = set(re.findall(r'href="(/office/[^"]*|/author/[^"]*)"', page))
        assert links, role
        for link in links:
            assert world.clients[role].get(link).status_code == 200, (role, link)
