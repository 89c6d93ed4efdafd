"""Forms of the event pages: the event, its sessions, and the buttons."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from courses.audience.forms import AudienceRuleFields, kind_choices
from events.models import AudienceMode, EventKind, EventStatus, RegistrationStatus, SessionStatus

KIND_LABELS = {
    EventKind.SEMINAR: _l("Seminar"),
    EventKind.LECTURE: _l("Lecture"),
    EventKind.ROUND_TABLE: _l("Round table"),
    EventKind.PUBLIC_MEETING: _l("Meeting with public representatives"),
}
MODE_LABELS = {
    AudienceMode.MAY_REGISTER: _l("The audience may register"),
    AudienceMode.MUST_ATTEND: _l("The audience must attend"),
}
EVENT_STATUS_LABELS = {
    EventStatus.DRAFT: _l("draft"),
    EventStatus.PUBLISHED: _l("published"),
    EventStatus.CANCELLED: _l("cancelled"),
}
SESSION_STATUS_LABELS = {SessionStatus.SCHEDULED: _l("scheduled"), SessionStatus.CANCELLED: _l("cancelled")}
REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.REGISTERED: _l("registered"),
    RegistrationStatus.WAITING: _l("waiting list"),
    RegistrationStatus.CANCELLED: _l("cancelled"),
    RegistrationStatus.ATTENDED: _l("attended"),
    RegistrationStatus.NO_SHOW: _l("no-show"),
}
#: Rules about who people are; course-progress rules belong to reminders, not to events.
EVENT_AUDIENCE_KINDS = ("all", "staff", "students", "unit", "group", "people")


class EventForm(AudienceRuleFields):
    title_kk = StringField(_l("Title (Kazakh)"), validators=[Optional(), Length(max=300)])
    title_ru = StringField(_l("Title (Russian)"), validators=[Optional(), Length(max=300)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=300)])
    description_kk = TextAreaField(_l("Description (Kazakh)"), validators=[Optional(), Length(max=20000)])
    description_ru = TextAreaField(_l("Description (Russian)"), validators=[Optional(), Length(max=20000)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=20000)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, v) for k, v in KIND_LABELS.items()])
    audience_kind = SelectField(_l("Audience"), choices=kind_choices(EVENT_AUDIENCE_KINDS))
    audience_mode = SelectField(_l("The audience"), choices=[SelectChoice(k.value, v) for k, v in MODE_LABELS.items()])
    registration_opens_at = DateTimeLocalField(_l("Registration opens (Almaty)"), validators=[Optional()])
    registration_closes_at = DateTimeLocalField(_l("Registration closes (Almaty)"), validators=[Optional()])
    capacity = IntegerField(
        _l("Places per session"), default=30, validators=[DataRequired(), NumberRange(min=1, max=10000)]
    )
    certificate_kk = TextAreaField(_l("Certificate of attendance (Kazakh)"), validators=[Optional(), Length(max=2000)])
    certificate_ru = TextAreaField(_l("Certificate of attendance (Russian)"), validators=[Optional(), Length(max=2000)])
    certificate_en = TextAreaField(_l("Certificate of attendance (English)"), validators=[Optional(), Length(max=2000)])
    feedback_anonymous = BooleanField(_l("Feedback is anonymous"))
    submit = SubmitField(_l("Save"))


class SessionForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Starts (Almaty)"), validators=[DataRequired()])
    duration_minutes = IntegerField(
        _l("Duration, minutes"), default=90, validators=[DataRequired(), NumberRange(min=5, max=24 * 60)]
    )
    room = StringField(_l("Room"), validators=[Optional(), Length(max=200)])
    online_url = URLField(_l("Online link"), validators=[Optional(), URL(require_tld=False), Length(max=500)])
    speakers = StringField(_l("Speakers"), validators=[Optional(), Length(max=500)])
    capacity = IntegerField(_l("Places"), validators=[DataRequired(), NumberRange(min=1, max=10000)])
    submit = SubmitField(_l("Save the session"))


class ActionForm(FlaskForm):
    """A bare form for the buttons (register, cancel, publish, …): only the CSRF token matters."""
