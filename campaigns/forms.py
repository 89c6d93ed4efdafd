"""Forms of the campaign pages."""

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
)
from wtforms.validators import Length, NumberRange, Optional

from campaigns.models import Category, StepTiming
from courses.audience.forms import AudienceRuleFields

CATEGORY_LABELS = {
    Category.AWARENESS: _l("Awareness (people may unsubscribe)"),
    Category.TRAINING_REMINDER: _l("Training reminder (mandatory)"),
    Category.ANNOUNCEMENT: _l("Announcement (mandatory)"),
}
TIMING_LABELS = {
    StepTiming.NOW: _l("As soon as the campaign is scheduled"),
    StepTiming.AT: _l("At a date and time"),
    StepTiming.CRON: _l("Repeatedly, by a cron rule"),
    StepTiming.DRIP: _l("Some days after the previous step"),
    StepTiming.RELATIVE_TO_DUE: _l("Relative to the person's due date"),
    StepTiming.ON_JOIN: _l("When a person joins the audience"),
}


class CampaignForm(AudienceRuleFields):
    name_kk = StringField(_l("In Kazakh"), validators=[Optional(), Length(max=200)])
    name_ru = StringField(_l("In Russian"), validators=[Optional(), Length(max=200)])
    name_en = StringField(_l("In English"), validators=[Optional(), Length(max=200)])
    category = SelectField(_l("Category"), choices=[SelectChoice(k.value, v) for k, v in CATEGORY_LABELS.items()])
    course_slug = SelectField(_l("Course"), choices=[], validators=[Optional()])
    audience_days = IntegerField(_l("Days"), validators=[Optional(), NumberRange(min=1, max=3650)])
    evergreen = BooleanField(_l("Also reach people who join the audience later"))
    track_opens = BooleanField(_l("Track opens"), default=True)
    track_clicks = BooleanField(_l("Track clicks"), default=True)
    escalate_after = IntegerField(
        _l("Tell the unit head after this many reminders (0: never)"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=50)],
    )
    submit = SubmitField(_l("Save"))


class StepForm(FlaskForm):
    subject_kk = StringField(_l("Subject (Kazakh)"), validators=[Length(max=300)])
    subject_ru = StringField(_l("Subject (Russian)"), validators=[Length(max=300)])
    subject_en = StringField(_l("Subject (English)"), validators=[Length(max=300)])
    body_kk = TextAreaField(_l("Text (Kazakh)"))
    body_ru = TextAreaField(_l("Text (Russian)"))
    body_en = TextAreaField(_l("Text (English)"))
    timing = SelectField(_l("When"), choices=[SelectChoice(k.value, v) for k, v in TIMING_LABELS.items()])
    send_at = DateTimeLocalField(_l("Date and time (Almaty)"), validators=[Optional()])
    cron = StringField(_l("Cron rule"), validators=[Optional(), Length(max=64)])
    delay_days = IntegerField(_l("Days after the previous step"), validators=[Optional(), NumberRange(min=0)])
    offset_days = IntegerField(_l("Days from the due date (−7: a week before)"), validators=[Optional()])
    repeat_days = IntegerField(
        _l("Then repeat every N days until completed"), validators=[Optional(), NumberRange(min=1)]
    )
    submit = SubmitField(_l("Save the step"))


class ActionForm(FlaskForm):
    """A bare form for the buttons (schedule, pause, …): only the CSRF token matters."""
