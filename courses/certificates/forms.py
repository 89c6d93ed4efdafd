"""Forms of the certificate pages: revoking with a reason, re-issuing under a corrected name, the layout, the zip."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])
    submit = SubmitField(_l("Revoke"))


class ReissueForm(FlaskForm):
    holder_name = StringField(_l("Name to print"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Re-issue"))


class LayoutForm(FlaskForm):
    layout = SelectField(
        _l("Layout of new certificates"),
        choices=[
            SelectChoice("single", _l("The learner's language")),
            SelectChoice("kk-ru", _l("Bilingual: Kazakh and Russian")),
        ],
    )
    submit = SubmitField(_l("Save"))


class ExportForm(FlaskForm):
    course_slug = SelectField(_l("Course"), choices=[])
    unit_id = SelectField(_l("Unit"), choices=[], coerce=int)
    submit = SubmitField(_l("Prepare zip"))
