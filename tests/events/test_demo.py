"""The demo's event: Anti-Corruption Day's round table, published once, at 10:00 in Almaty."""

from sqlalchemy import func, select

from events.demo import seed_demo_events
from events.models import Event


def test_the_demo_publishes_the_ninth_of_december_round_table_once(db):
    seed_demo_events(db.session)
    seed_demo_events(db.session)
    db.session.commit()
    assert db.session.scalar(select(func.count(Event.id))) == 1
    event = db.session.scalars(select(Event)).one()
    assert event.status == "published" and len(event.sessions) == 2
    first = event.sessions[0].starts_at
    assert (first.month, first.day, first.hour) == (12, 9, 5)  # 10:00 in Almaty
