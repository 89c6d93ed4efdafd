"""The office's forms for the public page: a method's text, a document and its versions, the figures' switch."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, DateField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from lms.config import LOCALES
from public_page.documents import KEY_PATTERN


class _PerLanguage:
    """Fields repeated for kk, ru and en as ``<name>_<locale>``; ``texts(name)`` gathers them."""

    def texts(self, name: str) -> dict[str, str]:
        return {loc: (self[f"{name}_{loc}"].data or "").strip() for loc in LOCALES}


class MethodForm(_PerLanguage, FlaskForm):
    submit = SubmitField(_l("Save"))


class VersionForm(_PerLanguage, FlaskForm):
    """A new version: its number, day of approval, title and summary, and a PDF per language (one at least)."""

    number = StringField(_l("Number"), validators=[DataRequired(), Length(max=64)])
    approved_on = DateField(_l("Date of approval"), validators=[DataRequired()])
    submit = SubmitField(_l("Upload"))

    def validate_file_kk(self, field):
        if not any(self[f"file_{loc}"].data for loc in LOCALES):
            raise ValidationError(_l("Choose the PDF in at least one language."))


class DocumentForm(VersionForm):
    key = StringField(
        _l("Key (in the address)"),
        validators=[
            DataRequired(),
            Regexp(f"^{KEY_PATTERN.pattern}$", message=_l("Use lower-case Latin letters, digits and hyphens.")),
        ],
        description=_l("For example code-of-ethics: a course of the same name links to this document."),
    )


class FiguresForm(FlaskForm):
    show = BooleanField(_l("Publish the transparency figures"))
    submit = SubmitField(_l("Save"))


for _loc in LOCALES:
    setattr(MethodForm, f"title_{_loc}", StringField(_l("Title"), validators=[DataRequired(), Length(max=200)]))
    setattr(MethodForm, f"body_{_loc}", TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=5000)]))
    setattr(VersionForm, f"title_{_loc}", StringField(_l("Title"), validators=[DataRequired(), Length(max=300)]))
    setattr(VersionForm, f"summary_{_loc}", TextAreaField(_l("Short summary"), validators=[Length(max=1000)]))
    setattr(
        VersionForm, f"file_{_loc}", FileField(_l("PDF file"), validators=[FileAllowed(["pdf"], _l("Only PDF files."))])
    )
