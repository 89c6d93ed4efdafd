"""Forms of the second factor: a code (at sign-in, enrolment and renewal) and the administrator's reset."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    submit = SubmitField(_l("Continue"))


class TurnOffForm(CodeForm):
    """For a learner, who may do without (the office may not)."""

    submit = SubmitField(_l("Turn two-step sign-in off"))


class ResetForm(FlaskForm):
    """Why a person's second factor is removed: kept in the audit log."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(), Length(min=5, max=500)],
        description=_l("For the audit log, e.g. “lost phone, identity checked in person”."),
    )
    submit = SubmitField(_l("Reset the second factor"))
