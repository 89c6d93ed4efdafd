"""The door: the officer checks a learner's ticket in by its short code on a phone, the course with the
seminar step shows complete; a check-in made offline is sent later with its real time; a ticket
checked in twice counts once. (Registering on a phone is tests/browser/test_event_registration.py.)"""

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from courses.learning.progress import mark_lesson_read
from events.models import Registration, RegistrationStatus
from lms.database import as_utc, utcnow
from lms.models import AuditEvent, Role
from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS
from tests.browser.event_steps import PHONE
from tests.browser.helpers import login
from tests.courses.builders import enrol
from tests.events.door import seminar_course, ticket
from tests.events.helpers import make_event

pytestmark = pytest.mark.browser


def _given_seminar_course(db, learner, event):
    """A course with a seminar step at ``event``, given to ``learner``, its lesson already read."""
    course = seminar_course(db.session, event)
    enrolment = enrol(db.session, learner, course)
    mark_lesson_read(db.session, enrolment, course.modules[0])
    db.session.commit()
    return enrolment


def _check_in(tab, code: str) -> None:
    tab.fill("#checkin-code", code)
    tab.click("#checkin-code-submit")


def test_the_officer_checks_the_ticket_in_at_the_door_and_the_course_completes(page, browser, live_server, make, db):
    learner = make.user(locale="en", full_name="Aruzhan Tulegenova")
    late = make.user(locale="en", full_name="Daulet Offline")
    officer = make.user(roles=[Role.OFFICER], locale="en")
    event = make_event(db.session, starts_in=timedelta(minutes=20))
    session = event.sessions[0]
    enrolment = _given_seminar_course(db, learner, event)
    offline_ticket = ticket(db.session, session, late)
    ticket(db.session, session, learner)

    # The code as the learner reads it from the ticket on their phone.
    page.set_viewport_size(PHONE)
    login(page, learner.email)
    page.goto(f"/events/{event.id}")
    code = page.locator("[data-ticket-code]").first.inner_text().strip()

    door = browser.new_context(base_url=live_server, locale="en-US", viewport=PHONE)
    door.set_default_timeout(10_000)
    phone = door.new_page()
    login(phone, officer.email)
    phone.goto(f"/office/events/sessions/{session.id}/check-in")
    _check_in(phone, code.lower())
    phone.wait_for_selector("#checkin-status.alert-success")
    assert "Aruzhan Tulegenova is checked in." in phone.inner_text("#checkin-status")

    # The connection drops: the check-in waits on the phone and goes when it returns, with its time.
    door.set_offline(True)
    scanned = utcnow()
    _check_in(phone, offline_ticket.ticket_code)
    phone.wait_for_selector("#checkin-pending:not([hidden])")
    assert "waiting for the connection: 1" in phone.inner_text("#checkin-pending")
    time.sleep(3)
    door.set_offline(False)
    phone.wait_for_selector("#checkin-pending", state="hidden")
    assert "Daulet Offline is checked in." in phone.inner_text("#checkin-log")

    # The same ticket again (a second scan at the door) changes nothing.
    _check_in(phone, code)
    phone.wait_for_selector("#checkin-status.alert-warning")
    assert "already checked in" in phone.inner_text("#checkin-status")
    door.close()

    db.session.expire_all()
    late_row = db.session.get(Registration, offline_ticket.id)
    assert late_row.status == RegistrationStatus.ATTENDED
    assert abs(as_utc(late_row.checked_in_at) - scanned) < timedelta(seconds=2)  # not when it arrived, 3 s later
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "event.check_in")) == 2

    page.goto("/learning")
    assert page.locator(f'[data-enrolment="{enrolment.id}"][data-status="completed"]').count() == 1


def _camera_file(path, code: str) -> str:
    """A Y4M video of the ticket's QR code (as ``events.tickets`` draws it), for Chromium's fake camera."""
    import segno

    width, height, scale = 640, 480, 8
    matrix = segno.make_qr(code, error="m").matrix
    side = (len(matrix) + 8) * scale  # with a quiet zone of four modules
    left, top = (width - side) // 2, (height - side) // 2
    luma = bytearray([235]) * (width * height)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                for dy in range(scale):
                    start = (top + (y + 4) * scale + dy) * width + left + (x + 4) * scale
                    luma[start : start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (width * height // 4)
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            video.write(b"FRAME\n" + bytes(luma) + chroma + chroma)
    return str(path)


def test_the_phones_camera_reads_the_ticket_qr_code(browser, live_server, make, db, tmp_path):
    officer = make.user(roles=[Role.OFFICER], locale="en")
    session = make_event(db.session, starts_in=timedelta(minutes=10)).sessions[0]
    registration = ticket(db.session, session, make.user(full_name="Camera Seen"))
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *LAUNCH_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={_camera_file(tmp_path / 'ticket.y4m', registration.ticket_code)}",
        ],
    )
    try:
        door = camera.new_context(base_url=live_server, locale="en-US", viewport=PHONE, permissions=["camera"])
        door.set_default_timeout(15_000)
        phone = door.new_page()
        login(phone, officer.email)
        phone.goto(f"/office/events/sessions/{session.id}/check-in")
        phone.click("#checkin-camera")
        phone.wait_for_selector("#checkin-status.alert-success")
        assert "Camera Seen is checked in." in phone.inner_text("#checkin-status")
    finally:
        camera.close()
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == RegistrationStatus.ATTENDED
