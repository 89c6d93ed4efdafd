"""Forms of the office's people pages: import upload, apply, filters, person edit, audit filters."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lms.forms import LANGUAGE_CHOICES
from lms.models import PersonKind, Role
from lms.permissions import ADMIN_ONLY_ROLES, ROLE_LABELS

KIND_CHOICES = [
    SelectChoice(PersonKind.STUDENT.value, _l("Student")),
    SelectChoice(PersonKind.STAFF.value, _l("Staff")),
]
ROLE_CHOICES = [
    SelectChoice(role.value, ROLE_LABELS[role]) for role in (Role.AUTHOR, Role.OFFICER, Role.ADMIN, *ADMIN_ONLY_ROLES)
]


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("CSV or Excel file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "txt", "xlsx"], _l("Only CSV and XLSX files can be imported.")),
        ],
    )
    submit = SubmitField(_l("Check the file"))


class ImportApplyForm(FlaskForm):
    """The two buttons under a dry run."""

    apply = SubmitField(_l("Import"))
    apply_valid = SubmitField(_l("Import only the valid rows"))


class PeopleFilterForm(FlaskForm):
    """The list's filters: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or e-mail"), validators=[Optional(), Length(max=200)])
    unit = SelectField(_l("Unit"), coerce=str, validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("", _l("Any kind")), *KIND_CHOICES], validators=[Optional()])
    role = SelectField(_l("Role"), choices=[SelectChoice("", _l("Any role")), *ROLE_CHOICES], validators=[Optional()])
    active = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("yes", _l("Active")),
            SelectChoice("no", _l("Deactivated")),
            SelectChoice("", _l("Everyone")),
        ],
        default="yes",
        validators=[Optional()],
    )


class PersonForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    org_unit_id = SelectField(_l("Unit"), coerce=int)
    study_group = StringField(_l("Study group"), validators=[Optional(), Length(max=64)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=128)])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    roles = SelectMultipleField(
        _l("Roles"),
        choices=ROLE_CHOICES,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[Optional()],
    )
    #: The unit an officer oversees (0: the whole university); absent from the post, the scope is kept.
    officer_unit = SelectField(
        _l("Officer for"),
        coerce=int,
        validators=[Optional()],
        description=_l(
            "Choose a unit to make the officer its unit head: they see and follow only the people of that unit"
            " and its sub-units, and change no roles."
        ),
    )
    submit = SubmitField(_l("Save"))


class ActiveForm(FlaskForm):
    """Deactivate or reactivate: a POST with a CSRF token."""

    active = HiddenField()
    submit = SubmitField(_l("Apply"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    person = StringField(_l("Who (name or e-mail)"), validators=[Optional(), Length(max=254)])
    #: Choices: the action groups the packages registered (``lms.audit.trail.action_groups``), set by the view.
    action = SelectField(_l("What"), choices=[], validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To (inclusive)"), validators=[Optional()])
