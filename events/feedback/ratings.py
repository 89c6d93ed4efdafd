"""Feedback after a session: a rating from 1 to 5 and a comment, once per person who came.

When the event's feedback is anonymous the row keeps no user id; the registration only notes that
feedback was given (a flag, no time), so the two cannot be matched by their order or their time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from events.models import EventSession, Feedback, Registration, RegistrationStatus
from lms.database import as_utc, utcnow
from lms.models import User

RATINGS = (1, 2, 3, 4, 5)


class FeedbackRefused(Exception):
    """Why this person may not give feedback on this session now (the message says it)."""


def attended_registration(session: Session, event_session: EventSession, user_id: int) -> Registration | None:
    return session.scalars(
        select(Registration).where(
            Registration.session_id == event_session.id,
            Registration.user_id == user_id,
            Registration.status == RegistrationStatus.ATTENDED,
        )
    ).one_or_none()


def refusal(event_session: EventSession, registration: Registration | None, now: datetime) -> str | None:
    """The reason feedback cannot be given, or ``None`` when it can."""
    if registration is None:
        return _l("Only people checked in at this session can give feedback on it.")
    if as_utc(event_session.starts_at) > now:
        return _l("Feedback opens when the session has started.")
    if registration.feedback_given:
        return _l("Thank you: you have already given your feedback on this session.")
    return None


def give_feedback(
    session: Session, event_session: EventSession, user_id: int, rating: int, comment: str, now: datetime | None = None
) -> Feedback:
    """Store one person's feedback; a second (or a simultaneous double) submission is refused."""
    now = now or utcnow()
    registration = attended_registration(session, event_session, user_id)
    reason = refusal(event_session, registration, now)
    if reason is not None:
        raise FeedbackRefused(str(reason))
    if rating not in RATINGS:
        raise ValueError(rating)
    claimed = session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.feedback_given.is_(False))
        .values(feedback_given=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise FeedbackRefused(str(_l("Thank you: you have already given your feedback on this session.")))
    anonymous = event_session.event.feedback_anonymous
    entry = Feedback(
        session_id=event_session.id,
        user_id=None if anonymous else user_id,
        rating=rating,
        comment=(comment or "").strip(),
        # Anonymous: the day only, so the time does not point to the check-in order either.
        created_at=now.replace(hour=0, minute=0, second=0, microsecond=0) if anonymous else now,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class Summary:
    """What the office reads: how many answered, the average, how ratings spread, the comments."""

    count: int = 0
    average: float | None = None
    spread: dict[int, int] = field(default_factory=lambda: dict.fromkeys(RATINGS, 0))
    #: (rating, comment, the person's name or ``None`` when anonymous), newest first.
    comments: list[tuple[int, str, str | None]] = field(default_factory=list)


def summarize(session: Session, event_session: EventSession) -> Summary:
    rows = session.execute(
        select(Feedback.rating, Feedback.comment, User.full_name)
        .outerjoin(User, User.id == Feedback.user_id)
        .where(Feedback.session_id == event_session.id)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
    ).all()
    summary = Summary(count=len(rows))
    for row in rows:
        summary.spread[row.rating] += 1
        if row.comment:
            summary.comments.append((row.rating, row.comment, row.full_name))
    if rows:
        summary.average = sum(r.rating for r in rows) / len(rows)
    return summary
