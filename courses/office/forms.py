"""Forms of the office's assignment and progress pages."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from courses.audience.forms import person_rule
from courses.audience.rules import AudienceError, validate_rule
from courses.office.reports import STATE_LABELS, STATES
from lms.extensions import db
from lms.people.forms import KIND_CHOICES

#: The audience kinds an assignment offers (the course-status kinds serve campaigns).
AUDIENCE_CHOICES = [
    SelectChoice("all", _l("Everyone")),
    SelectChoice("staff", _l("All staff")),
    SelectChoice("students", _l("All students")),
    SelectChoice("unit", _l("An org unit")),
    SelectChoice("group", _l("A study group")),
    SelectChoice("people", _l("A list of people")),
]


class AudienceFields(FlaskForm):
    """The audience builder; its field names are what ``audience-count.js`` sends for the live count."""

    kind = SelectField(_l("Who"), choices=AUDIENCE_CHOICES, default="all")
    unit_id = SelectField(_l("Org unit"), choices=[], validate_choice=False)
    sub = BooleanField(_l("Include its sub-units"), default=True)
    group = StringField(_l("Study group"), validators=[Length(max=64)])
    emails = TextAreaField(
        _l("E-mail addresses"),
        validators=[Length(max=300_000)],
        description=_l("One per line, or separated by commas."),
    )

    def rule(self) -> dict:
        """The audience rule the fields describe, validated; ``AudienceError`` says what is wrong."""
        raw = person_rule(self.kind.data, self.unit_id.data, self.group.data, self.emails.data, bool(self.sub.data))
        return validate_rule(raw, db.session)


class AudienceCountForm(AudienceFields):
    """The live count's query string: no CSRF, it only reads."""

    class Meta:
        csrf = False


class AssignmentForm(AudienceFields):
    course_slug = SelectField(_l("Course"), choices=[], validators=[DataRequired()])
    due_mode = RadioField(
        _l("Due"),
        choices=[
            SelectChoice("none", _l("No due date")),
            SelectChoice("date", _l("On a date")),
            SelectChoice("days", _l("N days after enrolment")),
        ],
        default="days",
    )
    due_date = DateField(_l("Due date"), validators=[Optional()])
    due_days = IntegerField(
        _l("Days after enrolment"), validators=[Optional(), NumberRange(min=1, max=730)], default=30
    )
    recurring = BooleanField(_l("Repeat when the completion expires"))
    recurrence_months = IntegerField(
        _l("Every (months)"), validators=[Optional(), NumberRange(min=1, max=120)], default=12
    )
    submit = SubmitField(_l("Assign"))

    def validate_due_date(self, field):
        if self.due_mode.data == "date" and not field.data:
            raise ValidationError(_l("Choose the due date."))

    def validate_due_days(self, field):
        if self.due_mode.data == "days" and not field.data:
            raise ValidationError(_l("Enter a number of days."))

    def validate_recurrence_months(self, field):
        if self.recurring.data and not field.data:
            raise ValidationError(_l("Enter how many months a completion stays valid."))

    def validate_kind(self, field):
        try:
            self.rule()
        except AudienceError as error:
            raise ValidationError(str(error)) from None

    def due_at(self) -> datetime | None:
        """The chosen due date as the end of that day in the university's time zone, in UTC."""
        if self.due_mode.data != "date" or not self.due_date.data:
            return None
        zone = ZoneInfo(current_app.config["ADAL_TIMEZONE"])
        return datetime.combine(self.due_date.data, time(23, 59), tzinfo=zone).astimezone(UTC)


class EndAssignmentForm(FlaskForm):
    submit = SubmitField(_l("End the assignment"))


STATUS_CHOICES = [SelectChoice("", _l("Any status")), *(SelectChoice(s, STATE_LABELS[s]) for s in STATES)]


class ProgressFilterForm(FlaskForm):
    """The filters of a course's progress page (a GET form: no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or e-mail"), validators=[Length(max=100)])
    unit = SelectField(_l("Org unit"), choices=[], validate_choice=False)
    group = StringField(_l("Study group"), validators=[Length(max=64)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("", _l("Anyone")), *KIND_CHOICES])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)
