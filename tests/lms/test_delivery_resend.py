"""Sending failed mail again from the mailbox, and campaigns that say how many of their messages failed."""

import time_machine
from sqlalchemy import select, update

from campaigns.models import CampaignStatus
from lms.accounts import send_invitation
from lms.mail.delivery import DeliverySettings, deliver_outbox
from lms.models import AuditEvent, OutboxMessage, OutboxStatus, Role
from tests.campaigns.helpers import make_campaign
from tests.lms.smtp_server import SmtpServer
from tests.lms.test_delivery import queue, row_for, statuses


def fail(db, *addresses: str, reason: str = "550 5.1.1 mailbox unavailable") -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.to_addr.in_(addresses))
        .values(status=OutboxStatus.FAILED, attempts=3, last_error=reason)
    )
    db.session.commit()


def actions(db) -> list[tuple[str, dict]]:
    db.session.expire_all()
    return [
        (e.action, e.details) for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("mailbox.%")))
    ]


def test_resend_one_failed_message_then_it_arrives_with_its_message_id(client, auth, make, db):
    queue(db, 2)
    fail(db, "r1@example.kz")
    message = row_for(db, "r1@example.kz")
    auth.login(make.user(roles=[Role.OFFICER]))
    page = client.get(f"/office/mailbox/{message.id}").get_data(as_text=True)
    assert 'id="resend"' in page and "550 5.1.1 mailbox unavailable" in page
    response = client.post(f"/office/mailbox/{message.id}/resend", follow_redirects=True)
    assert "The e-mail is queued again" in response.get_data(as_text=True)
    again = row_for(db, "r1@example.kz")
    assert (again.status, again.attempts, again.last_error) == (OutboxStatus.QUEUED, 0, None)
    assert actions(db) == [("mailbox.resend", {"to": "r1@example.kz"})]
    assert 'id="resend"' not in client.get(f"/office/mailbox/{message.id}").get_data(as_text=True)
    server = SmtpServer().start()
    try:
        report = deliver_outbox(db.session, DeliverySettings(smtp_url=server.url, retry_seconds=0))
    finally:
        server.stop()
    assert report.sent == 2
    assert {r.message["Message-ID"] for r in server.received} == set(
        db.session.scalars(select(OutboxMessage.message_id))
    )
    audit_page = client.get("/office/audit/").get_data(as_text=True)
    assert "sent the failed e-mail" in audit_page and "again" in audit_page


def test_resend_all_that_the_filter_shows(client, auth, make, db):
    queue(db, 6)
    fail(db, "r1@example.kz", "r2@example.kz", "r3@example.kz")
    auth.login(make.user(roles=[Role.OFFICER]))
    listing = client.get("/office/mailbox/?status=failed").get_data(as_text=True)
    assert 'id="resend-filtered"' in listing
    assert 'id="resend-filtered"' not in client.get("/office/mailbox/?status=sent").get_data(as_text=True)
    response = client.post("/office/mailbox/resend", data={"q": "r2@", "status": "failed"}, follow_redirects=True)
    assert "1 failed e-mail is queued again." in response.get_data(as_text=True)
    assert row_for(db, "r2@example.kz").status == OutboxStatus.QUEUED
    assert row_for(db, "r1@example.kz").status == OutboxStatus.FAILED
    response = client.post("/office/mailbox/resend", data={"q": "", "status": ""}, follow_redirects=True)
    assert "2 failed e-mails are queued again." in response.get_data(as_text=True)
    assert statuses(db) == {OutboxStatus.QUEUED: 6}
    assert actions(db) == [
        ("mailbox.resend_failed", {"messages": 1, "filter": "r2@"}),
        ("mailbox.resend_failed", {"messages": 2, "filter": ""}),
    ]


def test_account_emails_are_resent_by_admins_only(client, auth, make, db):
    queue(db, 1, category="system", subject="Reset your password")
    queue(db, 1, start=1)
    fail(db, "r0@example.kz", "r1@example.kz")
    reset = row_for(db, "r0@example.kz")
    auth.login(make.user(roles=[Role.OFFICER]))
    assert 'id="resend"' not in client.get(f"/office/mailbox/{reset.id}").get_data(as_text=True)
    assert client.post(f"/office/mailbox/{reset.id}/resend").status_code == 403
    client.post("/office/mailbox/resend", data={"status": "failed"})
    assert row_for(db, "r0@example.kz").status == OutboxStatus.FAILED
    assert row_for(db, "r1@example.kz").status == OutboxStatus.QUEUED
    auth.logout()
    auth.login(make.user(roles=[Role.ADMIN]))
    client.post(f"/office/mailbox/{reset.id}/resend")
    assert row_for(db, "r0@example.kz").status == OutboxStatus.QUEUED


def test_a_unit_head_resends_their_units_mail_only(client, auth, make, db):
    faculty, other = make.unit(), make.unit()
    inside, outside = make.user(unit=faculty), make.user(unit=other)
    queue(db, 1, user_id=inside.id, to_addr=inside.email)
    queue(db, 1, start=1, user_id=outside.id, to_addr=outside.email)
    fail(db, inside.email, outside.email)
    head = make.user(roles=[Role.OFFICER])
    head.roles[0].scope_unit_id = faculty.id
    db.session.commit()
    auth.login(head)
    hidden = row_for(db, outside.email)
    assert client.post(f"/office/mailbox/{hidden.id}/resend").status_code == 404
    client.post("/office/mailbox/resend", data={"status": "failed"})
    assert row_for(db, inside.email).status == OutboxStatus.QUEUED
    assert row_for(db, outside.email).status == OutboxStatus.FAILED


def test_resending_needs_the_csrf_token(app, client, auth, make, db):
    queue(db, 1)
    fail(db, "r0@example.kz")
    message = row_for(db, "r0@example.kz")
    auth.login(make.user(roles=[Role.OFFICER]))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/office/mailbox/{message.id}/resend").status_code == 400
        assert client.post("/office/mailbox/resend", data={"status": "failed"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert row_for(db, "r0@example.kz").status == OutboxStatus.FAILED
    assert client.post(f"/office/mailbox/{message.id}/resend").status_code == 302


def test_a_campaign_with_failed_messages_says_completed_n_failed(client, auth, make, db):
    campaign = make_campaign(db.session)
    campaign.status = CampaignStatus.COMPLETED
    db.session.commit()
    step_id = campaign.steps[0].id
    queue(db, 12, campaign_step_id=step_id, status=OutboxStatus.SENT)
    fail(db, *[f"r{i}@example.kz" for i in range(9)])
    other = make_campaign(db.session)
    other.status = CampaignStatus.COMPLETED
    db.session.commit()
    auth.login(make.user(roles=[Role.OFFICER]))
    show = client.get(f"/office/campaigns/{campaign.id}").get_data(as_text=True)
    assert "completed, 9 failed" in show
    listing = client.get("/office/campaigns/").get_data(as_text=True)
    assert "completed, 9 failed" in listing
    assert listing.count(">completed</span>") == 1  # the campaign without failures


def test_a_failed_invitation_goes_again_with_a_fresh_link_to_the_corrected_address(app, client, auth, make, db):
    person = make.user(email="typo@exmaple.kz", password=None)
    with time_machine.travel("2026-11-01 09:00Z"), app.test_request_context():
        send_invitation(db.session, person)
        db.session.commit()
    invitation = row_for(db, "typo@exmaple.kz")
    old_token = invitation.body_text.split("/invitation/", 1)[1].split()[0]
    fail(db, "typo@exmaple.kz")
    person.email = "right@example.kz"  # the office corrects the address, weeks later
    db.session.commit()

    auth.login(make.user(roles=[Role.ADMIN]))
    client.post(f"/office/mailbox/{invitation.id}/resend")
    again = row_for(db, "right@example.kz")
    assert (again.id, again.message_id, again.status) == (invitation.id, invitation.message_id, OutboxStatus.QUEUED)
    token = again.body_text.split("/invitation/", 1)[1].split()[0]
    assert client.get(f"/invitation/{old_token}").status_code == 400  # expired after 14 days
    assert client.get(f"/invitation/{token}").status_code == 200
