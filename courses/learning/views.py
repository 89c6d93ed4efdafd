"""The learner's pages: "My learning", the course player, quizzes, results and attestations."""

from functools import lru_cache
from pathlib import PurePosixPath

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from courses import content
from courses.learning import progress, quiz, seminars
from courses.learning.forms import AcceptForm, MarkReadForm, QuizForm, StartQuizForm
from courses.models import (
    Certificate,
    Course,
    Enrolment,
    EnrolmentStatus,
    Module,
    ModuleKind,
    QuizAttempt,
)
from courses.questions import question_type
from lms.extensions import db
from lms.i18n import current_locale
from lms.models import Role

bp = Blueprint("courses", __name__)
#: Course files a browser may show in a tab; any other (HTML, SVG, scripts) is sent as a download.
INLINE_FILE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt"}


@bp.before_request
@login_required
def _signed_in():
    """Every learner page needs a signed-in person."""


def _own_enrolment(enrolment_id: int) -> Enrolment:
    """The signed-in person's enrolment, with its course and modules; 404 for anyone else's."""
    enrolment = db.session.scalars(
        select(Enrolment)
        .where(
            Enrolment.id == enrolment_id,
            Enrolment.user_id == current_user.id,
            Enrolment.status != EnrolmentStatus.CANCELLED,
        )
        .options(selectinload(Enrolment.course).selectinload(Course.modules))
    ).one_or_none()
    if enrolment is None:
        abort(404)
    return enrolment


def _module_of(enrolment: Enrolment, module_id: int) -> Module:
    module = next((m for m in enrolment.course.modules if m.id == module_id), None)
    if module is None:
        abort(404)
    return module


def _own_attempt(enrolment: Enrolment, attempt_id: int) -> QuizAttempt:
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.enrolment_id != enrolment.id:
        abort(404)
    return attempt


@lru_cache(maxsize=512)
def _body_html(course_id: int, text: str) -> Markup:
    """A module's text as HTML, rendered once per process and text: markdown-it and nh3 took 4 ms of
    a lesson page's 50, and a published course's texts never change (a draft's new text is a new key)."""
    return content.render_markdown(text, lambda name: url_for("courses.course_file", course_id=course_id, name=name))


def _certificate_urls(enrolments: list[Enrolment]) -> dict[int, str]:
    """Links to the certificates of completed enrolments, when the certificates pages exist."""
    if "certificates.download_mine" not in current_app.view_functions:
        return {}
    done = [e.id for e in enrolments if e.status == EnrolmentStatus.COMPLETED]
    if not done:
        return {}
    rows = db.session.execute(
        select(Certificate.enrolment_id, Certificate.id).where(
            Certificate.enrolment_id.in_(done), Certificate.revoked_at.is_(None)
        )
    )
    return {eid: url_for("certificates.download_mine", cert_id=cid) for eid, cid in rows}


@bp.route("/learning")
def my_learning():
    """The courses assigned to me: due dates, status, progress, next step; then the completed ones."""
    enrolments = list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.user_id == current_user.id, Enrolment.status != EnrolmentStatus.CANCELLED)
            # Not the modules' texts: three languages of every lesson are most of the bytes.
            .options(joinedload(Enrolment.course).selectinload(Course.modules).defer(Module.body))
            .order_by(Enrolment.completed_at.is_not(None), Enrolment.due_at.is_(None), Enrolment.due_at, Enrolment.id)
        )
    )
    progresses = progress.course_progress(db.session, enrolments)
    rows = [
        {
            "enrolment": e,
            "status": progress.display_status(e),
            "percent": progresses[e.id].percent(e.course.modules),
            "next": progresses[e.id].next_module(e.course.modules),
        }
        for e in enrolments
    ]
    return render_template(
        "courses/learn_home.html",
        current=[r for r in rows if r["status"] != EnrolmentStatus.COMPLETED],
        completed=[r for r in rows if r["status"] == EnrolmentStatus.COMPLETED],
        certificate_urls=_certificate_urls(enrolments),
    )


@bp.route("/learning/<int:enrolment_id>")
def player(enrolment_id: int):
    """Open a course where I left off (or at its first step not done)."""
    enrolment = _own_enrolment(enrolment_id)
    modules = enrolment.course.modules
    if not modules:
        abort(404)
    resume = next((m for m in modules if m.id == enrolment.last_module_id), None)
    if resume is None:
        resume = progress.course_progress(db.session, [enrolment])[enrolment.id].next_module(modules) or modules[0]
    return redirect(url_for("courses.module", enrolment_id=enrolment.id, module_id=resume.id))


@bp.route("/learning/<int:enrolment_id>/modules/<int:module_id>")
def module(enrolment_id: int, module_id: int):
    """One step of the course: a lesson, a quiz's start page, or a document to accept."""
    enrolment = _own_enrolment(enrolment_id)
    module = _module_of(enrolment, module_id)
    if enrolment.status != EnrolmentStatus.COMPLETED:
        progress.visit(enrolment, module)
    page = _module_page(enrolment, module)
    # After rendering: a commit expires every loaded object, and the page would read them all again.
    db.session.commit()
    return page


def _module_page(enrolment: Enrolment, module: Module) -> str:
    context = _player_context(enrolment, module)
    if module.kind == ModuleKind.QUIZ:
        return render_template(
            "courses/learn_quiz_intro.html", **context, **_quiz_intro(enrolment, module, context["state"])
        )
    if module.kind == ModuleKind.ATTESTATION:
        form = AcceptForm(shown=progress.reading_token(enrolment, module))
        return render_template(
            "courses/learn_attestation.html",
            **context,
            form=form,
            signed=progress.signed_version(db.session, enrolment, module),
            signed_on=progress.signed_on(db.session, enrolment, module),
            version=progress.document_version(module),
            min_reading_s=int((module.settings or {}).get("min_reading_s") or 0),
        )
    if module.kind == ModuleKind.SEMINAR:
        return _seminar_page(enrolment, module, context)
    remedial_for = [
        m
        for m in enrolment.course.modules
        if m.kind == ModuleKind.QUIZ
        and progress.remedial_due(enrolment.course, m, context["state"].failures.get(m.id, 0)) is module
    ]
    return render_template("courses/learn_lesson.html", **context, form=MarkReadForm(), remedial_for=remedial_for)


def _seminar_page(enrolment: Enrolment, module: Module, context: dict) -> str:
    """A seminar step: the event to attend; done when the door's check-in says so (maybe before enrolment)."""
    if module.id not in context["state"].done and seminars.catch_up(db.session, enrolment, module):
        context = _player_context(enrolment, module)
    directory = seminars.event_directory()
    event_id = seminars.linked_event_id(module)
    event = directory.describe(db.session, event_id, current_locale()) if directory and event_id else None
    return render_template("courses/learn_seminar.html", **context, event=event)


def _player_context(enrolment: Enrolment, module: Module) -> dict:
    """What every player page shows: the ordered modules with their state, the text in my language."""
    locale = current_locale()
    course = enrolment.course
    state = progress.course_progress(db.session, [enrolment])[enrolment.id]
    body, body_locale = progress.pick_text(module.body, locale, course.default_locale)
    index = course.modules.index(module)
    return {
        "enrolment": enrolment,
        "course": course,
        "module": module,
        "state": state,
        "status": progress.display_status(enrolment),
        "percent": state.percent(course.modules),
        "body_html": _body_html(course.id, body) if body else Markup(""),
        "body_locale": body_locale,
        "fallback": body_locale is not None and body_locale != locale,
        "previous": course.modules[index - 1] if index > 0 else None,
        "next": course.modules[index + 1] if index + 1 < len(course.modules) else None,
        "pick": lambda texts: progress.pick_text(texts, locale, course.default_locale)[0],
    }


def _quiz_intro(enrolment: Enrolment, module: Module, state: progress.CourseProgress) -> dict:
    attempts = quiz.attempts_of(db.session, enrolment, module)
    open_attempt = next((a for a in attempts if a.submitted_at is None and not quiz.is_expired(a)), None)
    return {
        "settings": quiz.quiz_settings(module),
        "attempts": attempts,
        "open_attempt": open_attempt,
        "refusal": None if open_attempt else quiz.start_refusal(db.session, enrolment, module, attempts),
        "form": StartQuizForm(),
        "remedial": progress.remedial_due(enrolment.course, module, state.failures.get(module.id, 0)),
    }


@bp.route("/learning/<int:enrolment_id>/modules/<int:module_id>/read", methods=["POST"])
def mark_read(enrolment_id: int, module_id: int):
    """Mark a lesson as read and go on to the next step."""
    enrolment = _own_enrolment(enrolment_id)
    module = _module_of(enrolment, module_id)
    if module.kind != ModuleKind.LESSON or not MarkReadForm().validate_on_submit():
        abort(400)
    progress.mark_lesson_read(db.session, enrolment, module)
    response = _after_step(enrolment, module)
    db.session.commit()
    return response


def _after_step(enrolment: Enrolment, module: Module):
    """Where to go after finishing a step: the confirmation, or the next step (asked before the commit)."""
    if enrolment.status == EnrolmentStatus.COMPLETED:
        return redirect(url_for("courses.completed", enrolment_id=enrolment.id))
    modules = enrolment.course.modules
    index = modules.index(module)
    target = modules[index + 1] if index + 1 < len(modules) else module
    return redirect(url_for("courses.module", enrolment_id=enrolment.id, module_id=target.id))


@bp.route("/learning/<int:enrolment_id>/modules/<int:module_id>/start", methods=["POST"])
def start_quiz(enrolment_id: int, module_id: int):
    """Start a new attempt (or resume the open one) and show its questions."""
    enrolment = _own_enrolment(enrolment_id)
    module = _module_of(enrolment, module_id)
    if module.kind != ModuleKind.QUIZ or not StartQuizForm().validate_on_submit():
        abort(400)
    try:
        try:
            attempt = quiz.open_attempt(db.session, enrolment, module, locale=current_locale())
        except IntegrityError:  # another tab started this attempt a moment ago: resume it
            db.session.rollback()
            attempt = quiz.open_attempt(db.session, enrolment, module, locale=current_locale())
    except quiz.QuizError as error:
        db.session.commit()  # an expired attempt may have been closed on the way
        flash(error.message, "danger")
        return redirect(url_for("courses.module", enrolment_id=enrolment.id, module_id=module.id))
    target = url_for("courses.attempt", enrolment_id=enrolment.id, attempt_id=attempt.id)
    db.session.commit()
    return redirect(target)


@bp.route("/learning/<int:enrolment_id>/attempts/<int:attempt_id>", methods=["GET", "POST"])
def attempt(enrolment_id: int, attempt_id: int):
    """The quiz form of an open attempt (POST submits it), or the result of a submitted one."""
    enrolment = _own_enrolment(enrolment_id)
    attempt = _own_attempt(enrolment, attempt_id)
    module = _module_of(enrolment, attempt.module_id)
    form = QuizForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            quiz.submit_attempt(db.session, attempt, request.form)
        except quiz.QuizError as error:
            db.session.commit()
            flash(error.message, "danger")
            return redirect(url_for("courses.attempt", enrolment_id=enrolment.id, attempt_id=attempt.id))
        # Where to go is known before the commit, which expires every object (reading them again
        # after it took four statements, the course's lessons among them).
        if enrolment.status == EnrolmentStatus.COMPLETED:
            target = url_for("courses.completed", enrolment_id=enrolment.id)
        else:
            target = url_for("courses.attempt", enrolment_id=enrolment.id, attempt_id=attempt.id)
        db.session.commit()
        return redirect(target)
    if quiz.close_expired(db.session, attempt):
        db.session.commit()
        flash(_("The time limit has passed; the attempt is closed."), "warning")
    context = _player_context(enrolment, module) | {"attempt": attempt, "settings": quiz.quiz_settings(module)}
    if attempt.submitted_at is None:
        return render_template(
            "courses/learn_quiz.html",
            **context,
            form=form,
            questions=_drawn_questions(enrolment, module, attempt),
            seconds_left=quiz.seconds_left(attempt),
        )
    return render_template("courses/learn_result.html", **context, **_result(enrolment, module, attempt))


def _drawn_questions(enrolment: Enrolment, module: Module, attempt: QuizAttempt) -> list[dict]:
    """The attempt's questions as shown: text and options only, in the stored order."""
    questions = {q.id: q for q in module.questions}
    locale, default = current_locale(), enrolment.course.default_locale
    return [
        question_type(questions[e["question_id"]].kind).present(questions[e["question_id"]], e, locale, default)
        for e in attempt.draw
    ]


def _result(enrolment: Enrolment, module: Module, attempt: QuizAttempt) -> dict:
    """Per-question feedback; the correct answers only as the quiz's ``show_answers`` allows."""
    settings = quiz.quiz_settings(module)
    state = progress.course_progress(db.session, [enrolment])[enrolment.id]
    module_passed = module.id in state.done
    reveal = quiz.answers_visible(settings, attempt, module_passed)
    questions = {q.id: q for q in module.questions}
    locale, default = current_locale(), enrolment.course.default_locale
    items = []
    for entry in attempt.draw:
        question = questions[entry["question_id"]]
        kind = question_type(question.kind)
        given = (attempt.answers or {}).get(str(question.id))
        items.append(
            {
                "id": question.id,
                "text": progress.pick_text(question.text, locale, default)[0],
                "correct": (attempt.results or {}).get(str(question.id), {}).get("correct", False),
                "given": kind.describe(question, given, locale, default),
                "key": kind.reveal(question, locale, default) if reveal else None,
                "explanation": progress.pick_text(question.explanation, locale, default)[0] if reveal else None,
            }
        )
    attempts = quiz.attempts_of(db.session, enrolment, module)
    return {
        "items": items,
        "reveal": reveal,
        "retry_refusal": quiz.start_refusal(db.session, enrolment, module, attempts),
        "start_form": StartQuizForm(),
        "module_passed": module_passed,
        "remedial": progress.remedial_due(enrolment.course, module, state.failures.get(module.id, 0)),
    }


@bp.route("/learning/<int:enrolment_id>/modules/<int:module_id>/accept", methods=["POST"])
def accept(enrolment_id: int, module_id: int):
    """Sign an attestation: "I have read and accept" the document as shown."""
    enrolment = _own_enrolment(enrolment_id)
    module = _module_of(enrolment, module_id)
    form = AcceptForm()
    if module.kind != ModuleKind.ATTESTATION or not form.validate_on_submit():
        abort(400)
    try:
        progress.accept_attestation(
            db.session,
            enrolment,
            module,
            locale=current_locale(),
            shown_at=progress.reading_started_at(form.shown.data or "", enrolment, module),
        )
    except progress.ProgressError as error:
        flash(error.message, "danger")
        return redirect(url_for("courses.module", enrolment_id=enrolment.id, module_id=module.id))
    response = _after_step(enrolment, module)
    db.session.commit()
    flash(_("Your acceptance is recorded."), "success")
    return response


@bp.route("/learning/<int:enrolment_id>/completed")
def completed(enrolment_id: int):
    """The confirmation that the course is complete, with the score and the validity."""
    enrolment = _own_enrolment(enrolment_id)
    if enrolment.status != EnrolmentStatus.COMPLETED:
        return redirect(url_for("courses.player", enrolment_id=enrolment.id))
    return render_template(
        "courses/learn_completed.html",
        enrolment=enrolment,
        course=enrolment.course,
        certificate_url=_certificate_urls([enrolment]).get(enrolment.id),
    )


@bp.route("/learning/files/<int:course_id>/<path:name>")
def course_file(course_id: int, name: str):
    """An image or attachment of a course, for people enrolled in it (and its authors/officers)."""
    enrolled = db.session.scalar(
        select(Enrolment.id).where(Enrolment.course_id == course_id, Enrolment.user_id == current_user.id).limit(1)
    )
    if enrolled is None and not current_user.has_role(Role.AUTHOR, Role.OFFICER):
        abort(404)
    folder = content.course_files_dir(current_app.config["ADAL_STORAGE_PATH"], course_id)
    # An author's HTML or SVG opened on this origin could run script as the viewer: download it.
    inline = PurePosixPath(name).suffix.lower() in INLINE_FILE_SUFFIXES
    return send_from_directory(folder, name, as_attachment=not inline)
