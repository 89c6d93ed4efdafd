"""The reporting channel: the form, the receipt, the reporter's case page, the privacy page.

Nobody is known here, even when signed in: each request of this blueprint runs as an anonymous
visitor (the person's sign-in is not loaded, so not touched either), writes nothing to the audit
log (``lms.audit.trail.unrecorded``), and leaves the address and browser out of the logs
(``concerns.privacy``). The receipt code never goes into a cookie: the reporter's page carries it
in its forms.
"""

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import gettext as _

from concerns import attachments, reporting
from concerns.forms import CATEGORY_LABELS, OUTCOME_LABELS, STATUS_LABELS, AnswerForm, FollowUpForm, ReportForm
from concerns.receipts import find_case, normalize
from lms.extensions import db, limiter, login_manager

bp = Blueprint("concerns", __name__, url_prefix="/report")


@bp.before_request
def leave_no_trace():
    """Run as nobody, and keep no audit event, whoever asks."""
    g.adal_unrecorded = True
    g._login_user = login_manager.anonymous_user()


@bp.after_request
def keep_nothing(response):
    """Neither the browser's cache nor the next site's Referer keeps these pages."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _global_key() -> str:
    return "everyone"


def _case_number_key() -> str:
    """Tries at a receipt code count per case number typed: no address is kept."""
    return "case:" + normalize(request.form.get("number", ""))[:20]  # "k7qf 2m9d" is K7QF-2M9D too


@bp.route("", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ADAL_REPORT_LIMIT"], key_func=_global_key, methods=["POST"])
def report():
    """The report form; on success the case number and receipt code, shown this once."""
    form = ReportForm()
    if form.validate_on_submit():
        files = _cleaned_files(form.files)
        if files is not None:
            named = form.identity.data == "named"
            data = reporting.Report(
                category=form.category.data,
                what=form.what.data,
                where=form.where.data or "",
                when=form.when.data or "",
                who=form.who.data or "",
                name=(form.name.data or "").strip() if named else "",
                contact=(form.contact.data or "").strip() if named else "",
            )
            receipt = reporting.file_report(db.session, data, files)
            db.session.commit()
            return render_template("concerns/receipt.html", receipt=receipt)
    return render_template("concerns/report.html", form=form)


@bp.route("/follow-up", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ADAL_RECEIPT_LIMIT"], key_func=_case_number_key, methods=["POST"])
@limiter.limit(lambda: current_app.config["ADAL_RECEIPT_GLOBAL_LIMIT"], key_func=_global_key, methods=["POST"])
def follow_up():
    """Case number and receipt code open the reporter's case: status, messages, an answer, more files."""
    form = FollowUpForm()
    answer = AnswerForm()
    if request.method == "POST" and "text" in request.form:
        return _answer(answer)
    if form.validate_on_submit():
        case = find_case(db.session, form.number.data, form.code.data)
        if case is None:
            return _no_such_case(form)
        reporting.reporter_visit(db.session, case)
        db.session.commit()
        return _case_page(case, AnswerForm(number=case.number, code=form.code.data))
    return render_template("concerns/follow_up.html", form=form)


def _no_such_case(form: FollowUpForm):
    """One answer for a wrong code and for a case that does not exist."""
    form.code.errors = [_("This case number and receipt code do not match a case.")]
    return render_template("concerns/follow_up.html", form=form)


def _answer(answer: AnswerForm):
    """The reporter's answer: the receipt is checked again, as on every request."""
    case = find_case(db.session, answer.number.data or "", answer.code.data or "")
    if case is None:
        return _no_such_case(FollowUpForm(formdata=None))
    if not answer.validate_on_submit():
        return _case_page(case, answer)
    files = _cleaned_files(answer.files)
    if files is None:
        return _case_page(case, answer)
    if not (answer.text.data or "").strip() and not files:
        answer.text.errors = [_("Write an answer or add a file.")]
        return _case_page(case, answer)
    reporting.reporter_answer(db.session, case, answer.text.data or "", files)
    db.session.commit()
    return _case_page(case, AnswerForm(number=case.number, code=answer.code.data), sent=True)


def _case_page(case, answer: AnswerForm, sent: bool = False):
    return render_template(
        "concerns/reporter_case.html",
        case=case,
        messages=reporting.thread(case, internal=False),
        files=reporting.file_list(case),
        answer=answer,
        sent=sent,
        category=CATEGORY_LABELS,
        status=STATUS_LABELS,
        outcome=OUTCOME_LABELS,
    )


@bp.route("/privacy")
def privacy():
    """What is and what is not recorded about a reporter."""
    return render_template("concerns/privacy.html")


def _cleaned_files(field) -> list[attachments.CleanFile] | None:
    """The uploads of ``field``, cleaned; ``None`` (with the field's error) when one is refused."""
    uploads = [f for f in (field.data or []) if getattr(f, "filename", "")]
    if len(uploads) > attachments.MAX_FILES:
        field.errors = [_("Attach at most %(count)s files.", count=attachments.MAX_FILES)]
        return None
    cleaned = []
    for upload in uploads:
        try:
            cleaned.append(attachments.clean(upload.filename, upload.read()))
        except attachments.FileRefused as refused:
            messages = {
                "kind": _("%(name)s: only PDF, JPEG, PNG and text files can be attached.", name=upload.filename),
                "size": _("%(name)s is larger than 10 MB.", name=upload.filename),
                "unreadable": _("%(name)s could not be read.", name=upload.filename),
            }
            field.errors = [*field.errors, messages[refused.reason]]
            return None
    return cleaned
