"""The demo's event: the 9 December round table, open to everyone, with two sessions."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.models import Event, EventKind, EventSession
from events.office.editing import publish
from events.tickets import new_ics_uid
from lms.database import utcnow


def _next_ninth_of_december(now: datetime) -> datetime:
    """10:00 in Almaty (05:00 UTC) on the next 9 December at least a week away."""
    day = datetime(now.year, 12, 9, 5, 0, tzinfo=UTC)
    return day if day - now > timedelta(days=7) else day.replace(year=now.year + 1)


def seed_demo_events(session: Session) -> None:
    """Anti-Corruption Day's round table, published, so the events page and the office's list show something."""
    if session.scalar(select(Event.id).limit(1)) is not None:
        return
    starts = _next_ninth_of_december(utcnow())
    event = Event(
        title={
            "kk": "9 желтоқсан: Халықаралық сыбайлас жемқорлыққа қарсы күрес күні",
            "ru": "9 декабря: Международный день борьбы с коррупцией",
            "en": "9 December: International Anti-Corruption Day",
        },
        description={
            "kk": "Үкіметтік емес ұйымдар мен жұртшылық өкілдерімен дөңгелек үстел: адалдық мәдениеті университетте.",
            "ru": "Круглый стол с НКО и представителями общественности: культура добропорядочности в университете.",
            "en": "A round table with NGOs and public representatives: a culture of integrity at the university.",
        },
        kind=EventKind.ROUND_TABLE,
        capacity=60,
        certificate_text={"en": "took part in the round table on International Anti-Corruption Day"},
    )
    for offset, room in ((timedelta(0), "Academic building No. 1, assembly hall"), (timedelta(hours=5), "Room 52")):
        event.sessions.append(
            EventSession(
                starts_at=starts + offset,
                duration_minutes=120,
                room=room,
                speakers="Compliance service; invited NGOs",
                capacity=60,
                ics_uid=new_ics_uid(),
            )
        )
    publish(event)
    session.add(event)
