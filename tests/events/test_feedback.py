"""Feedback after a session: once per person who came, anonymous when the event says so, summarized."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from events.checkin import door
from events.feedback import ratings
from events.models import Feedback
from lms.database import utcnow
from lms.models import Role
from tests.events.door import ticket
from tests.events.helpers import make_event


@pytest.fixture
def officer(make):
    return make.user(roles=(Role.OFFICER,))


def _attended(db, session, person, officer):
    door.check_in_ticket(db.session, session, ticket(db.session, session, person).ticket_code, officer, utcnow())
    db.session.commit()


def test_an_attendee_rates_once_and_the_office_reads_the_summary(db, make, client, auth, officer):
    event = make_event(db.session, starts_in=timedelta(hours=-1))
    session = event.sessions[0]
    aigul, berik = make.user(full_name="Aigul Rates"), make.user(full_name="Berik Rates")
    for person in (aigul, berik):
        _attended(db, session, person, officer)
    url = f"/events/sessions/{session.id}/feedback"

    auth.login(aigul)
    assert 'id="feedback-form"' in client.get(url).get_data(as_text=True)
    assert client.post(url, data={"rating": "5", "comment": "Clear examples"}).status_code == 302
    again = client.post(url, data={"rating": "1", "comment": "Changed my mind"}, follow_redirects=True)
    assert "already given your feedback" in again.get_data(as_text=True)
    auth.logout()
    auth.login(berik)
    client.post(url, data={"rating": "2", "comment": ""})
    auth.logout()

    rows = db.session.scalars(select(Feedback).order_by(Feedback.rating)).all()
    assert [(r.rating, r.user_id) for r in rows] == [(2, berik.id), (5, aigul.id)]
    auth.login(officer)
    page = client.get(f"/office/events/sessions/{session.id}/feedback").get_data(as_text=True)
    assert 'data-count="2"' in page and 'data-average="3.50"' in page
    assert "Clear examples" in page and "Aigul Rates" in page and "Changed my mind" not in page


def test_anonymous_feedback_keeps_no_name(db, make, client, auth, officer):
    event = make_event(db.session, starts_in=timedelta(hours=-1), feedback_anonymous=True)
    session = event.sessions[0]
    person = make.user(full_name="Secret Rater")
    _attended(db, session, person, officer)

    ratings.give_feedback(db.session, session, person.id, 4, "Too long")
    db.session.commit()

    row = db.session.scalars(select(Feedback)).one()
    assert row.user_id is None
    assert (row.created_at.hour, row.created_at.minute) == (0, 0)  # the day, not the moment
    auth.login(officer)
    page = client.get(f"/office/events/sessions/{session.id}/feedback").get_data(as_text=True)
    assert "Too long" in page and "Secret Rater" not in page


def test_only_people_who_came_may_give_feedback_after_the_start(db, make, client, auth, officer):
    later = make_event(db.session, starts_in=timedelta(hours=2))
    past = make_event(db.session, starts_in=timedelta(hours=-2))
    person = make.user()
    _attended(db, later.sessions[0], person, officer)
    ticket(db.session, past.sessions[0], person)  # registered but never checked in

    with pytest.raises(ratings.FeedbackRefused):
        ratings.give_feedback(db.session, later.sessions[0], person.id, 5, "")
    auth.login(person)
    refused = client.post(f"/events/sessions/{past.sessions[0].id}/feedback", data={"rating": "5"})
    assert 'id="feedback-refused"' in refused.get_data(as_text=True)
    assert db.session.scalars(select(Feedback)).all() == []
