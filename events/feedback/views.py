"""Feedback pages: the attendee's short form after a session, and the office's summary of it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from events.feedback import ratings
from events.models import EventSession
from lms.database import utcnow
from lms.extensions import db, limiter
from lms.permissions import OFFICE_ROLES, require_role, university_wide

bp = Blueprint("event_feedback", __name__)


class FeedbackForm(FlaskForm):
    rating = RadioField(
        _l("How useful was the session? (1: not at all, 5: very)"),
        choices=[SelectChoice(n, str(n)) for n in ratings.RATINGS],
        coerce=int,
        validators=[DataRequired()],
    )
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Send"))


@bp.route("/events/sessions/<int:session_id>/feedback", methods=["GET", "POST"])
@login_required
@limiter.limit("20 per hour", methods=["POST"], key_func=lambda: f"feedback:{current_user.get_id()}")
def give(session_id: int):
    """The attendee's form: a rating and a comment, once; anonymous when the event says so."""
    event_session = db.get_or_404(EventSession, session_id)
    registration = ratings.attended_registration(db.session, event_session, current_user.id)
    refusal = ratings.refusal(event_session, registration, utcnow())
    form = FeedbackForm()
    if refusal is None and form.validate_on_submit():
        try:
            ratings.give_feedback(db.session, event_session, current_user.id, form.rating.data, form.comment.data)
        except ratings.FeedbackRefused as refused:
            db.session.rollback()
            flash(str(refused), "info")
        else:
            db.session.commit()
            flash(_l("Thank you for your feedback."), "success")
        return redirect(url_for("events.show", event_id=event_session.event_id))
    return render_template(
        "events/feedback_form.html", event_session=event_session, event=event_session.event, form=form, refusal=refusal
    )


@bp.route("/office/events/sessions/<int:session_id>/feedback")
@require_role(*OFFICE_ROLES)
@university_wide
def summary(session_id: int):
    """Count, average, how the ratings spread, and the comments (named unless anonymous)."""
    event_session = db.get_or_404(EventSession, session_id)
    return render_template(
        "events/feedback_summary.html",
        event_session=event_session,
        event=event_session.event,
        summary=ratings.summarize(db.session, event_session),
    )
