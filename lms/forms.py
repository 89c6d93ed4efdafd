"""Forms of the platform pages; Flask-WTF adds the CSRF token to each."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from lms.config import LOCALES
from lms.i18n import LANGUAGE_NAMES
from lms.passwords import MIN_LENGTH, password_problems

LANGUAGE_CHOICES = [SelectChoice(code, LANGUAGE_NAMES[code]) for code in LOCALES]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Sign in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    submit = SubmitField(_l("Send me a link"))


class SetPasswordForm(FlaskForm):
    """A new password, held to ``lms.passwords``; ``person`` (default: who is signed in) may not
    use their own name or address in it."""

    #: For the hint under the field.
    min_length = MIN_LENGTH
    password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Save the password"))

    def __init__(self, *args, person=None, **kwargs):
        super().__init__(*args, **kwargs)
        if person is None and current_user.is_authenticated:
            person = current_user
        self.person = person

    def validate_password(self, field) -> None:
        personal = (self.person.email, self.person.full_name) if self.person is not None else ()
        problems = password_problems(field.data or "", personal)
        if problems:
            raise ValidationError(problems[0])


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])


class ProfileForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Save"))


class LanguageForm(FlaskForm):
    """The switcher in every page's header."""

    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


def _bare_address(value: str | None) -> str | None:
    """``https://metu.kz/`` as ``metu.kz``: the footer adds the scheme itself."""
    if not value:
        return value
    value = value.strip()
    for scheme in ("https://", "http://"):
        if value.lower().startswith(scheme):
            value = value[len(scheme) :]
    return value.rstrip("/")


class ContactsForm(FlaskForm):
    university_kk = StringField(_l("University (Kazakh)"), validators=[DataRequired(), Length(max=200)])
    university_ru = StringField(_l("University (Russian)"), validators=[DataRequired(), Length(max=200)])
    university_en = StringField(_l("University (English)"), validators=[DataRequired(), Length(max=200)])
    officer_kk = StringField(_l("Compliance officer (Kazakh)"), validators=[DataRequired(), Length(max=200)])
    officer_ru = StringField(_l("Compliance officer (Russian)"), validators=[DataRequired(), Length(max=200)])
    officer_en = StringField(_l("Compliance officer (English)"), validators=[DataRequired(), Length(max=200)])
    room_kk = StringField(_l("Room (Kazakh)"), validators=[DataRequired(), Length(max=200)])
    room_ru = StringField(_l("Room (Russian)"), validators=[DataRequired(), Length(max=200)])
    room_en = StringField(_l("Room (English)"), validators=[DataRequired(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=64)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    website = StringField(_l("Website"), validators=[Length(max=200)], filters=[_bare_address])
    submit = SubmitField(_l("Save"))
