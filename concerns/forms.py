"""Forms of the reporting channel and of the case handlers' pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, MultipleFileField
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from concerns.attachments import KINDS, MAX_FILES
from concerns.models import CaseStatus, Category, Outcome

CATEGORY_LABELS = {
    Category.BRIBERY: _l("Bribery"),
    Category.EXTORTION: _l("Extortion"),
    Category.CONFLICT_OF_INTEREST: _l("Conflict of interest"),
    Category.ACADEMIC_MISCONDUCT: _l("Academic misconduct"),
    Category.ABUSE_OF_OFFICE: _l("Abuse of office"),
    Category.GIFTS: _l("Gifts"),
    Category.OTHER: _l("Other"),
}
STATUS_LABELS = {
    CaseStatus.NEW: _l("New"),
    CaseStatus.ACKNOWLEDGED: _l("Acknowledged"),
    CaseStatus.UNDER_REVIEW: _l("Under review"),
    CaseStatus.INVESTIGATION: _l("Investigation"),
    CaseStatus.CLOSED: _l("Closed"),
}
OUTCOME_LABELS = {
    Outcome.SUBSTANTIATED: _l("substantiated"),
    Outcome.NOT_SUBSTANTIATED: _l("not substantiated"),
    Outcome.REFERRED: _l("referred to another body"),
}
TEXT_LIMIT = 10000
_FILES = [
    Optional(),
    FileAllowed(
        [extension.lstrip(".") for extension in KINDS], _l("Only PDF, JPEG, PNG and text files can be attached.")
    ),
]
_FILES_HELP = _l("Up to %(count)s files: PDF, JPEG, PNG or text, 10 MB each.", count=MAX_FILES)


class ReportForm(FlaskForm):
    category = SelectField(
        _l("What is it about?"), choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()]
    )
    what = TextAreaField(_l("What happened?"), validators=[DataRequired(), Length(max=TEXT_LIMIT)])
    where = StringField(_l("Where?"), validators=[Optional(), Length(max=500)])
    when = StringField(_l("When?"), validators=[Optional(), Length(max=200)])
    who = TextAreaField(_l("Who was involved?"), validators=[Optional(), Length(max=2000)])
    files = MultipleFileField(_l("Files (optional)"), validators=_FILES, description=_FILES_HELP)
    identity = RadioField(
        _l("Who you are"),
        choices=[
            SelectChoice("anonymous", _l("Report anonymously")),
            SelectChoice(
                "named", _l("Give my name and contact (shown to the case handler only with a second person's approval)")
            ),
        ],
        default="anonymous",
    )
    name = StringField(_l("Your name"), validators=[Optional(), Length(max=200)])
    contact = StringField(_l("Phone or e-mail"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Send the report"))

    def validate(self, extra_validators=None) -> bool:
        """A named report needs a name or a contact; an anonymous one keeps neither, whatever was typed."""
        valid = super().validate(extra_validators)
        if (
            self.identity.data == "named"
            and not (self.name.data or "").strip()
            and not (self.contact.data or "").strip()
        ):
            self.name.errors.append(_l("Give your name or a contact, or choose to report anonymously."))
            return False
        return valid


class FollowUpForm(FlaskForm):
    number = StringField(_l("Case number"), validators=[DataRequired(), Length(max=20)])
    code = StringField(_l("Receipt code"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Open my case"))


class AnswerForm(FlaskForm):
    """The reporter's answer; the number and code travel with it, never in a cookie."""

    number = HiddenField(validators=[DataRequired()])
    code = HiddenField(validators=[DataRequired()])
    text = TextAreaField(_l("Your answer"), validators=[Optional(), Length(max=TEXT_LIMIT)])
    files = MultipleFileField(_l("Add files"), validators=_FILES, description=_FILES_HELP)
    submit = SubmitField(_l("Send"))


class MessageForm(FlaskForm):
    """A message to the reporter, who reads it with the receipt."""

    text = TextAreaField(_l("Message to the reporter"), validators=[DataRequired(), Length(max=TEXT_LIMIT)])
    submit = SubmitField(_l("Send"))


class NoteForm(FlaskForm):
    """A note for the handlers only."""

    note = TextAreaField(_l("Internal note"), validators=[DataRequired(), Length(max=TEXT_LIMIT)])
    submit = SubmitField(_l("Add a note"))


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()])
    outcome = SelectField(
        _l("Outcome (when closing)"),
        choices=[SelectChoice("", "—"), *(SelectChoice(o.value, label) for o, label in OUTCOME_LABELS.items())],
        validators=[Optional()],
    )
    submit = SubmitField(_l("Change status"))


class UnitForm(FlaskForm):
    unit_id = SelectField(_l("Unit concerned"), coerce=int)
    submit = SubmitField(_l("Save"))


class IdentityRequestForm(FlaskForm):
    reason = TextAreaField(_l("Why do you need to know who reported?"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Ask a custodian"))


class DecisionForm(FlaskForm):
    approve = SubmitField(_l("Approve"))
    refuse = SubmitField(_l("Refuse"))


class NameHandlerForm(FlaskForm):
    email = StringField(_l("E-mail of the person"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Make them a case handler"))
