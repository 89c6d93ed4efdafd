"""Forms of the learner's pages; each carries the CSRF token (answers are read by the question types)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField


class MarkReadForm(FlaskForm):
    submit = SubmitField(_l("Mark as read"))


class StartQuizForm(FlaskForm):
    submit = SubmitField(_l("Start the quiz"))


class QuizForm(FlaskForm):
    """The quiz page's form: the answers' fields are drawn per attempt and parsed by ``courses.questions``."""

    submit = SubmitField(_l("Submit my answers"))


class AcceptForm(FlaskForm):
    #: A signed note of when the document was shown (the minimum reading time is checked on it).
    shown = HiddenField()
    submit = SubmitField(_l("I have read and accept"))
