"""The case handlers' pages under ``/cases``: the list, a case, its changes, identity requests, handlers.

Every URL answers 404 to anyone who is not a case handler (the custody page: not a custodian),
signed in or not, admins included: the same answer as for a case that does not exist.
"""

import io
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from concerns import crypto, handling, identity, reporting
from concerns.forms import (
    CATEGORY_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    DecisionForm,
    IdentityRequestForm,
    MessageForm,
    NameHandlerForm,
    NoteForm,
    StatusForm,
    UnitForm,
)
from concerns.history import EVENT_LABELS, case_history
from concerns.models import CaseFile, IdentityRequest, IllegalMove
from lms.extensions import db
from lms.models import OrgUnit, User
from lms.two_factor import authenticator
from lms.units.tree import unit_choices

bp = Blueprint("cases", __name__, url_prefix="/cases")


def _only(allowed):
    """Let through people ``allowed(current_user)`` accepts, after their second factor; 404 to everyone else."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not allowed(current_user):
                abort(404)
            if authenticator.enrolment_needed(db.session, current_user):
                return redirect(url_for("two_factor.setup"))
            return view(*args, **kwargs)

        return wrapped

    return decorator


handler_only = _only(handling.is_handler)
custodian_only = _only(handling.is_custodian)


@bp.route("/")
@handler_only
def index():
    """All cases with their status, category, unit and deadlines."""
    status = request.args.get("status") or None
    if status not in STATUS_LABELS:
        status = None
    return render_template(
        "concerns/cases.html",
        rows=handling.list_cases(db.session, status),
        status=status,
        status_labels=STATUS_LABELS,
        category_labels=CATEGORY_LABELS,
        outcome_labels=OUTCOME_LABELS,
        pending_requests=len(identity.pending_requests(db.session)) if handling.is_custodian(current_user) else 0,
    )


@bp.route("/<number>")
@handler_only
def show(number):
    """One case: the report, files, messages with the reporter, notes, identity, history (the read is recorded)."""
    case = handling.handler_case_or_404(db.session, number)
    handling.record_read(db.session, case, current_user)
    shown_identity = identity.revealed_identity(db.session, case, current_user)
    status_form = StatusForm(status=case.status, outcome=case.outcome or "")
    unit_form = UnitForm(unit_id=case.unit_id or 0)
    unit_form.unit_id.choices = _unit_choices()
    page = render_template(
        "concerns/case.html",
        case=case,
        report=reporting.report_fields(case),
        files=reporting.file_list(case),
        messages=reporting.thread(case, internal=False),
        notes=reporting.thread(case, internal=True),
        deadlines=handling.deadlines(case),
        history=case_history(db.session, case),
        has_identity=identity.has_identity(db.session, case),
        shown_identity=shown_identity,
        requests=identity.requests_of_case(db.session, case),
        status_form=status_form,
        unit_form=unit_form,
        message_form=MessageForm(formdata=None),
        note_form=NoteForm(formdata=None),
        identity_form=IdentityRequestForm(formdata=None),
        status_labels=STATUS_LABELS,
        category_labels=CATEGORY_LABELS,
        outcome_labels=OUTCOME_LABELS,
        event_labels=EVENT_LABELS,
    )
    db.session.commit()
    return page


@bp.route("/<number>/status", methods=["POST"])
@handler_only
def change_status(number):
    case = handling.handler_case_or_404(db.session, number)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            handling.change_status(db.session, case, current_user, form.status.data, form.outcome.data)
            db.session.commit()
            flash(_("The status has been changed."), "success")
        except IllegalMove:
            db.session.rollback()
            flash(_("A case moves forward only, and is closed with an outcome."), "danger")
    return redirect(url_for(".show", number=case.number))


@bp.route("/<number>/unit", methods=["POST"])
@handler_only
def change_unit(number):
    case = handling.handler_case_or_404(db.session, number)
    form = UnitForm()
    form.unit_id.choices = _unit_choices()
    if form.validate_on_submit():
        handling.set_unit(db.session, case, current_user, db.session.get(OrgUnit, form.unit_id.data))
        db.session.commit()
    return redirect(url_for(".show", number=case.number))


@bp.route("/<number>/messages", methods=["POST"])
@handler_only
def write(number):
    """A message to the reporter."""
    case = handling.handler_case_or_404(db.session, number)
    form = MessageForm()
    if form.validate_on_submit():
        handling.write(db.session, case, current_user, form.text.data, internal=False)
        db.session.commit()
        flash(_("The message has been sent to the reporter."), "success")
    return redirect(url_for(".show", number=case.number))


@bp.route("/<number>/notes", methods=["POST"])
@handler_only
def note(number):
    """An internal note, never shown to the reporter."""
    case = handling.handler_case_or_404(db.session, number)
    form = NoteForm()
    if form.validate_on_submit():
        handling.write(db.session, case, current_user, form.note.data, internal=True)
        db.session.commit()
        flash(_("The note has been saved."), "success")
    return redirect(url_for(".show", number=case.number))


@bp.route("/<number>/files/<int:file_id>")
@handler_only
def download(number, file_id):
    """A file of the case, decrypted; the download is recorded."""
    case = handling.handler_case_or_404(db.session, number)
    file = db.session.get(CaseFile, file_id)
    if file is None or file.case_id != case.id:
        abort(404)
    handling.record_file_read(db.session, case, current_user, file)
    name, data = crypto.decrypt_text(file.name), crypto.decrypt_bytes(file.data)
    db.session.commit()
    return send_file(io.BytesIO(data), mimetype=file.content_type, as_attachment=True, download_name=name)


@bp.route("/<number>/identity", methods=["POST"])
@handler_only
def request_identity(number):
    case = handling.handler_case_or_404(db.session, number)
    form = IdentityRequestForm()
    if form.validate_on_submit():
        try:
            identity.request_identity(db.session, case, current_user, form.reason.data)
            db.session.commit()
            flash(_("Your request has been sent to the custodians."), "success")
        except identity.RequestRefused:
            db.session.rollback()
            flash(_("There is no identity to ask for, or your request is already waiting."), "warning")
    return redirect(url_for(".show", number=case.number))


@bp.route("/custody")
@custodian_only
def custody():
    """Requests to see a reporter's identity, waiting for a custodian."""
    requests = identity.pending_requests(db.session)
    reasons = {r.id: identity.reason_of(r) for r in requests}
    return render_template("concerns/custody.html", requests=requests, reasons=reasons, form=DecisionForm())


@bp.route("/custody/<int:request_id>", methods=["POST"])
@custodian_only
def decide(request_id):
    identity_request = db.get_or_404(IdentityRequest, request_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            identity.decide(db.session, identity_request, current_user, approve=bool(form.approve.data))
            db.session.commit()
            flash(_("Your decision has been recorded."), "success")
        except identity.RequestRefused:
            db.session.rollback()
            flash(_("Another custodian must decide on your own request."), "warning")
    return redirect(url_for(".custody"))


@bp.route("/handlers", methods=["GET", "POST"])
@handler_only
def handlers():
    """The case handlers; a handler names another one by e-mail."""
    form = NameHandlerForm()
    if form.validate_on_submit():
        person = db.session.scalar(select(User).where(func.lower(User.email) == form.email.data.strip().lower()))
        if person is None or not person.active:
            form.email.errors = [_("No active person has this e-mail address.")]
        else:
            handling.name_handler(db.session, person, current_user)
            db.session.commit()
            flash(_("%(name)s is a case handler.", name=person.full_name), "success")
            return redirect(url_for(".handlers"))
    return render_template("concerns/handlers.html", form=form, people=handling.handlers(db.session))


def _unit_choices() -> list[SelectChoice]:
    return [SelectChoice(0, "—"), *unit_choices(db.session.scalars(select(OrgUnit).order_by(OrgUnit.path)))]
