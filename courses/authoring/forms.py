"""Forms of the authoring pages; every translatable text is three fields, ``<name>_kk/_ru/_en``."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import FieldList
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from courses.authoring.editing import key_problems, question_key, texts_from
from courses.questions import question_type
from lms.config import LOCALES
from lms.i18n import LANGUAGE_NAMES

LANGUAGES = [SelectChoice("kk", "Қазақша"), SelectChoice("ru", "Русский"), SelectChoice("en", "English")]
KEY = Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Lower-case letters, digits and hyphens."))
MAX_OPTIONS = 6


def _translated(form_class, name: str, label, field=StringField, **kwargs) -> None:
    """Add ``<name>_kk``, ``<name>_ru``, ``<name>_en`` fields to a form class."""
    for locale in LOCALES:
        setattr(form_class, f"{name}_{locale}", field(label, validators=[Optional()], **kwargs))


class CourseForm(FlaskForm):
    slug = StringField(
        _l("Slug (stable name, used in links and packs)"), validators=[DataRequired(), Length(max=100), KEY]
    )
    default_locale = SelectField(_l("Default language"), choices=LANGUAGES)
    audience = SelectField(
        _l("Meant for"),
        choices=[
            SelectChoice("all", _l("Everyone")),
            SelectChoice("staff", _l("All staff")),
            SelectChoice("students", _l("All students")),
        ],
    )
    pass_mark = IntegerField(_l("Pass mark (%)"), default=80, validators=[DataRequired(), NumberRange(0, 100)])
    validity_months = IntegerField(
        _l("Valid for (months; empty: never expires)"), validators=[Optional(), NumberRange(1)]
    )
    remedial_after_failures = IntegerField(
        _l("Re-read the lesson after this many failed attempts"), validators=[Optional(), NumberRange(1)]
    )
    submit = SubmitField(_l("Save"))

    def settings(self) -> dict:
        return {
            "title": texts_from(self.data, "title"),
            "description": texts_from(self.data, "description"),
            "default_locale": self.default_locale.data,
            "audience": self.audience.data,
            "pass_mark": self.pass_mark.data,
            "validity_months": self.validity_months.data,
            "remedial_after_failures": self.remedial_after_failures.data,
        }


_translated(CourseForm, "title", _l("Title"))
_translated(CourseForm, "description", _l("Description"), TextAreaField)


class ModuleAddForm(FlaskForm):
    key = StringField(
        _l("Key (stable name inside the course)"),
        validators=[Optional(), Length(max=100), KEY],
        description=_l("Leave it empty: it is made from the title."),
    )
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice("lesson", _l("Lesson")),
            SelectChoice("quiz", _l("Quiz")),
            SelectChoice("attestation", _l("Attestation (sign a document)")),
            SelectChoice("seminar", _l("Seminar (attend an event)")),
        ],
    )
    submit = SubmitField(_l("Add the module"))


_translated(ModuleAddForm, "title", _l("Title"))


class ModuleForm(FlaskForm):
    required = BooleanField(_l("Required for completion"), default=True)
    # quiz settings
    pools = StringField(
        _l("Pools to draw from"),
        validators=[
            Optional(),
            Regexp(r"^\s*[\w-]+\s*=\s*\d+\s*(,\s*[\w-]+\s*=\s*\d+\s*)*$", message=_l("Write pool=number, …")),
        ],
        description=_l("For example: scenarios=5, basics=3. Empty: every question, in one go."),
    )
    time_limit_minutes = IntegerField(_l("Time limit (minutes)"), validators=[Optional(), NumberRange(1, 600)])
    max_attempts = IntegerField(_l("Attempts allowed (empty: unlimited)"), validators=[Optional(), NumberRange(1)])
    grading = SelectField(
        _l("Score kept"),
        default="highest",
        choices=[SelectChoice("highest", _l("The highest")), SelectChoice("last", _l("The last"))],
    )
    show_answers = SelectField(
        _l("Show correct answers"),
        default="always",
        choices=[
            SelectChoice("always", _l("Always")),
            SelectChoice("passed", _l("Once passed")),
            SelectChoice("never", _l("Never")),
        ],
    )
    pass_mark = IntegerField(_l("Pass mark (%; empty: the course's)"), validators=[Optional(), NumberRange(0, 100)])
    remedial_module = SelectField(_l("Lesson to re-read after repeated failures"), default="", choices=[])
    # attestation settings
    document_version = StringField(_l("Document version"), validators=[Optional(), Length(max=64)])
    min_reading_seconds = IntegerField(
        _l("Minimum reading time (seconds)"), validators=[Optional(), NumberRange(0, 3600)]
    )
    # seminar settings
    event_id = SelectField(_l("The event to attend"), coerce=int, default=0, choices=[])
    submit = SubmitField(_l("Save"))

    def pool_draws(self) -> list[dict]:
        pairs = [p.split("=") for p in (self.pools.data or "").split(",") if p.strip()]
        return [{"pool": name.strip(), "draw": int(draw)} for name, draw in pairs]


_translated(ModuleForm, "title", _l("Title"))
_translated(ModuleForm, "body", _l("Text (Markdown)"), TextAreaField)


class OptionForm(Form):
    """One answer option; its id is the letter of its row."""

    id = HiddenField()
    correct = BooleanField(_l("Correct"))
    order = IntegerField(_l("Place in the right order"), validators=[Optional(), NumberRange(1, MAX_OPTIONS)])


_translated(OptionForm, "text", _l("Option"))
_translated(OptionForm, "match", _l("Its match"))


class QuestionForm(FlaskForm):
    key = StringField(
        _l("Key"),
        validators=[Optional(), Length(max=100), KEY],
        description=_l(
            "Names the question in statistics and course packs. Leave it empty: it is made from the question's text."
        ),
    )
    pool = StringField(
        _l("Pool"),
        default="main",
        validators=[Optional(), Length(max=64)],
        description=_l(
            "A group of questions the quiz draws from (its settings say how many from each). "
            "Keep “main” if the quiz asks every question."
        ),
    )
    points = IntegerField(_l("Points"), default=1, validators=[InputRequired(), NumberRange(1, 100)])
    truth = SelectField(
        _l("The statement is"),
        default="true",
        choices=[SelectChoice("true", _l("True")), SelectChoice("false", _l("False"))],
    )
    options = FieldList(FormField(OptionForm), min_entries=MAX_OPTIONS, max_entries=MAX_OPTIONS)
    submit = SubmitField(_l("Save the question"))

    def entry(self, kind: str, main_locale: str) -> tuple[dict, list[str]]:
        """The question as pack data (checked later by the pack rules), and what the form itself lacks."""
        entry = {
            "key": (self.key.data or "").strip(),
            "pool": (self.pool.data or "").strip() or "main",
            "kind": kind,
            "text": texts_from(self.data, "text"),
            "explanation": texts_from(self.data, "explanation"),
            "points": self.points.data,
        }
        qtype = question_type(kind)
        if not qtype.has_options:
            entry["answer"], errors = qtype.form_answer([], self.truth.data)
            return entry, _untranslated(entry, main_locale, []) + errors
        rows, letters = [], []
        for index, row in enumerate(self.options.data):
            text = texts_from(row, "text")
            if text:
                option = {"id": row["id"] or "abcdef"[index], "text": text}
                if qtype.matched:
                    option["match"] = texts_from(row, "match")
                rows.append((option, row))
                letters.append("abcdef"[index])
        entry["options"] = [option for option, _row in rows]
        errors = _untranslated(entry, main_locale, letters)
        if len(rows) < 2:
            errors.append(_l("Fill in at least two options."))
        answer, answer_errors = qtype.form_answer(rows, self.truth.data)
        errors += answer_errors
        if qtype.answer_in_pack:
            entry["answer"] = answer
        return entry, [str(e) for e in errors]

    def checked_entry(self, module, kind: str, existing=None) -> tuple[dict, list[str]]:
        """The submitted question and every problem of it at once: its fields', its options', its key's.

        A key left empty is made from the question's text (and shown in the form).
        """
        self.validate()
        entry, errors = self.entry(kind, module.course.default_locale)
        if not self.key.errors:
            entry["key"] = self.key.data = entry["key"] or question_key(module, entry["text"], existing)
            errors += key_problems(module, entry["key"], existing)
        self.pool.data = entry["pool"]
        return entry, self.problems() + errors

    def problems(self) -> list[str]:
        """The fields' own errors, each after its label, for the list above the form."""
        return [
            f"{self[name].label.text}: {error}"
            for name, errors in self.errors.items()
            if name in self and isinstance(errors, list)
            for error in errors
            if not isinstance(error, dict)  # an option row's errors show in its row
        ]

    def fill(self, question) -> None:
        """Show an existing question in the form."""
        self.key.data, self.pool.data, self.points.data = question.key, question.pool, question.points
        for locale in LOCALES:
            self[f"text_{locale}"].data = question.text.get(locale, "")
            self[f"explanation_{locale}"].data = question.explanation.get(locale, "")
        qtype = question_type(question.kind)
        for name, value in qtype.form_values(question).items():
            self[name].data = value
        for index, option in enumerate(question.options[:MAX_OPTIONS]):
            row = self.options[index]
            row["id"].data = option["id"]
            for locale in LOCALES:
                row[f"text_{locale}"].data = option["text"].get(locale, "")
                row[f"match_{locale}"].data = option.get("match", {}).get(locale, "")
            for name, value in qtype.row_values(question.answer, option["id"]).items():
                row[name].data = value


_translated(QuestionForm, "text", _l("Question"), TextAreaField)
_translated(QuestionForm, "explanation", _l("Explanation (shown after the answer is sent)"), TextAreaField)


def _untranslated(entry: dict, main_locale: str, letters: list[str]) -> list[str]:
    """The parts not written in the course's main language, named as the form shows them.

    The pack rules would refuse them too, but as "“text” has no ru translation", once per option.
    """
    parts = [_("the question")] if main_locale not in entry["text"] else []
    for letter, option in zip(letters, entry.get("options", []), strict=True):
        if main_locale not in option["text"]:
            parts.append(_("option %(letter)s", letter=letter))
        if "match" in option and main_locale not in option["match"]:
            parts.append(_("the match of option %(letter)s", letter=letter))
    if main_locale not in entry["explanation"]:
        parts.append(_("the explanation"))
    if not parts:
        return []
    message = _(
        "Write %(parts)s in %(language)s, the course's main language.",
        parts=", ".join(parts),
        language=LANGUAGE_NAMES[main_locale],
    )
    return [message]


class ImportForm(FlaskForm):
    pack = FileField(_l("Course pack (.zip)"), validators=[FileRequired()])
    publish = BooleanField(_l("Publish at once"))
    submit = SubmitField(_l("Import"))
