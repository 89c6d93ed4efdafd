"""The office's campaign pages: list, templates, edit, steps, preview, test, control, report."""

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import case, func, select
from wtforms import SelectChoice

from campaigns import editing, library, lifecycle, reports, waiting
from campaigns.forms import CATEGORY_LABELS, TIMING_LABELS, ActionForm, CampaignForm, StepForm
from campaigns.models import Campaign, CampaignStatus, CampaignStep, IllegalTransition
from campaigns.scheduling import ScheduleError, first_run
from campaigns.step_messages import render_for
from campaigns.timing_words import timing_summary, timing_words
from courses.audience.forms import AUDIENCE_KINDS
from courses.audience.rules import AudienceError, count_audience, describe_rule
from courses.authoring.versioning import course_titles
from lms.audit import trail
from lms.database import utcnow
from lms.exports import export_response
from lms.extensions import db
from lms.i18n import current_locale
from lms.mail.mailbox_views import BODY_CSP, PAGE_CSP
from lms.mail.outbox import new_message_id
from lms.models import OrgUnit, OutboxMessage, OutboxStatus, User
from lms.names import name_in
from lms.permissions import OFFICE_ROLES, require_role, scope_paths
from lms.units.tree import unit_choices

bp = Blueprint("campaigns", __name__, url_prefix="/office/campaigns")


@bp.before_request
def _whole_university_only():
    """Campaigns mail and list people across the university: not for officers scoped to a unit."""
    if current_user.is_authenticated and current_user.has_role(*OFFICE_ROLES) and scope_paths(current_user) is not None:
        abort(403)


STATUS_LABELS = {
    CampaignStatus.DRAFT: _l("draft"),
    CampaignStatus.RUNNING: _l("running"),
    CampaignStatus.PAUSED: _l("paused"),
    CampaignStatus.COMPLETED: _l("completed"),
    CampaignStatus.CANCELLED: _l("cancelled"),
}


def status_label(status: str, failed: int = 0) -> str:
    """The campaign's status, and how many of its messages failed if any: "completed, 9 failed"."""
    label = str(STATUS_LABELS.get(status, status))
    if not failed:
        return label
    return ngettext("%(status)s, %(count)s failed", "%(status)s, %(count)s failed", failed, status=label, count=failed)


@bp.context_processor
def labels():
    return {
        "category_label": lambda c: CATEGORY_LABELS.get(c, c),
        "status_label": status_label,
        "timing_label": lambda t: TIMING_LABELS.get(t, t),
    }


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["ADAL_TIMEZONE"])


def _campaign_or_404(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


def _step_or_404(campaign: Campaign, step_id: int) -> CampaignStep:
    step = db.session.get(CampaignStep, step_id)
    if step is None or step.campaign_id != campaign.id:
        abort(404)
    return step


def _campaign_form(**kwargs) -> CampaignForm:
    form = CampaignForm(**kwargs)
    locale = current_locale()
    titles = course_titles(db.session, locale)
    form.course_slug.choices = [SelectChoice("", "—")] + [SelectChoice(s, title) for s, title in titles.items()]
    form.audience_unit.choices = unit_choices(db.session.scalars(select(OrgUnit).order_by(OrgUnit.path)))
    return form


@bp.route("/")
@require_role(*OFFICE_ROLES)
def index():
    """Every campaign with its status and how many messages it has sent."""
    page = db.paginate(select(Campaign).order_by(Campaign.created_at.desc()), per_page=25)
    # ``db.paginate`` yields only the first column, so the page's counts are one more query.
    counts = db.session.execute(
        select(
            CampaignStep.campaign_id,
            func.count(OutboxMessage.id),
            func.coalesce(func.sum(case((OutboxMessage.status == OutboxStatus.FAILED, 1), else_=0)), 0),
        )
        .join(OutboxMessage, OutboxMessage.campaign_step_id == CampaignStep.id)
        .where(CampaignStep.campaign_id.in_([c.id for c in page.items]))
        .group_by(CampaignStep.campaign_id)
    ).all()
    sent = {campaign_id: total for campaign_id, total, _failed in counts}
    failed = {campaign_id: failed for campaign_id, _total, failed in counts if failed}
    return render_template("campaigns/index.html", page=page, sent=sent, failed=failed, form=ActionForm())


@bp.route("/templates")
@require_role(*OFFICE_ROLES)
def templates():
    """The bundled templates the office can start from."""
    return render_template("campaigns/templates.html", templates=library.list_templates(), form=ActionForm())


@bp.route("/templates/<key>", methods=["POST"])
@require_role(*OFFICE_ROLES)
def from_template(key: str):
    """Start a draft campaign from a library template, ready to adjust."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        campaign = library.campaign_from_template(db.session, key, _tz(), utcnow(), current_user.id, current_locale())
    except library.TemplateProblem:
        abort(404)
    db.session.flush()
    trail.record(db.session, "campaign.create", campaign, details={"template": key})
    db.session.commit()
    flash(_("A draft campaign was made from the template. Check it, then schedule it."), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


@bp.route("/new", methods=["GET", "POST"])
@require_role(*OFFICE_ROLES)
def new():
    """Create a draft campaign from scratch."""
    form = _campaign_form()
    if form.validate_on_submit():
        campaign = Campaign(created_by_id=current_user.id)
        if editing.apply_campaign_form(db.session, campaign, form, current_locale()):
            db.session.add(campaign)
            db.session.flush()
            trail.record(db.session, "campaign.create", campaign)
            db.session.commit()
            return redirect(url_for("campaigns.new_step", campaign_id=campaign.id))
    return render_template("campaigns/edit.html", form=form, campaign=None)


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@require_role(*OFFICE_ROLES)
def edit(campaign_id: int):
    """Change a draft campaign; a scheduled or running one is changed step by step."""
    campaign = _campaign_or_404(campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        flash(_("Only a draft campaign can be changed; pause and edit its steps that have not started."), "warning")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    form = _campaign_form()
    if request.method == "GET":
        editing.fill_campaign_form(form, campaign, current_locale())
    if form.validate_on_submit() and editing.apply_campaign_form(db.session, campaign, form, current_locale()):
        trail.record(db.session, "campaign.edit", campaign)
        db.session.commit()
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    return render_template("campaigns/edit.html", form=form, campaign=campaign)


@bp.route("/<int:campaign_id>/steps/new", methods=["GET", "POST"], defaults={"step_id": None})
@bp.route("/<int:campaign_id>/steps/<int:step_id>", methods=["GET", "POST"])
@require_role(*OFFICE_ROLES)
def new_step(campaign_id: int, step_id: int | None):
    """Add a step, or edit one that has not started sending."""
    campaign = _campaign_or_404(campaign_id)
    step = _step_or_404(campaign, step_id) if step_id else None
    if step is not None and not step.editable:
        flash(_("This step has started sending and can no longer be changed."), "warning")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    form = StepForm()
    if request.method == "GET" and step is not None:
        editing.fill_step_form(form, step, _tz())
    refresh = "refresh" in request.form  # "Update the summary": show the chosen timing, save nothing
    if not refresh and form.validate_on_submit():
        target = step or CampaignStep(position=len(campaign.steps))
        if editing.apply_step_form(target, form, _tz()):
            if step is None:
                campaign.steps.append(target)
            if campaign.status in (CampaignStatus.RUNNING, CampaignStatus.PAUSED) and target.editable:
                target.next_run_at = first_run(target, utcnow(), _tz())
            trail.record(db.session, "campaign.step", campaign)
            db.session.commit()
            return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    summary = timing_summary(editing.timing_from_form(form, _tz()), _tz(), utcnow())
    return render_template(
        "campaigns/step.html",
        form=form,
        campaign=campaign,
        step=step,
        summary=summary,
        timing_fields=editing.TIMING_FIELDS,
    )


@bp.route("/<int:campaign_id>")
@require_role(*OFFICE_ROLES)
def show(campaign_id: int):
    """The campaign: its steps, audience, controls and live progress."""
    campaign = _campaign_or_404(campaign_id)
    try:
        audience_count = count_audience(db.session, campaign.audience)
        audience_text = describe_rule(campaign.audience, current_locale(), db.session)
    except (AudienceError, KeyError):
        audience_count, audience_text = 0, _("The audience rule is no longer valid; edit it.")
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        stats=reports.campaign_stats(db.session, campaign),
        audience_count=audience_count,
        audience_text=audience_text,
        form=ActionForm(),
        kinds=AUDIENCE_KINDS,
        waiting=waiting.waiting_notice(db.session, campaign, utcnow()),
        timing_words=timing_words,
    )


@bp.route("/<int:campaign_id>/progress.json")
@require_role(*OFFICE_ROLES)
def progress(campaign_id: int):
    """Live counts for the campaign page while it sends."""
    campaign = _campaign_or_404(campaign_id)
    return jsonify(status=campaign.status, **reports.campaign_stats(db.session, campaign))


def _preview_of(campaign: Campaign):
    """The step and the audience member a preview is for (``?step=``, ``?user=``), and a sample."""
    from courses.audience.rules import audience_user_ids

    if not campaign.steps:
        abort(404)
    step = _step_or_404(campaign, request.args.get("step", type=int) or campaign.steps[0].id)
    members = audience_user_ids(campaign.audience)
    wanted = request.args.get("user", type=int)
    person_id = db.session.scalar(members.where(User.id == wanted) if wanted else members.order_by(User.id).limit(1))
    if wanted and person_id is None:
        abort(404)  # only people the campaign would write to
    person = db.session.get(User, person_id) if person_id else current_user
    return step, person, members


@bp.route("/<int:campaign_id>/preview")
@require_role(*OFFICE_ROLES)
def preview(campaign_id: int):
    """A step as one recipient would see it (default: the first person of the audience)."""
    campaign = _campaign_or_404(campaign_id)
    step, person, members = _preview_of(campaign)
    sample = db.session.scalars(select(User).where(User.id.in_(members)).order_by(User.id).limit(20)).all()
    subject, text, _html = render_for(db.session, campaign, step, person)
    page = render_template(
        "campaigns/preview.html", campaign=campaign, step=step, person=person, sample=sample, subject=subject, text=text
    )
    return page, 200, {"Content-Security-Policy": PAGE_CSP}


@bp.route("/<int:campaign_id>/preview.html")
@require_role(*OFFICE_ROLES)
def preview_html(campaign_id: int):
    """The e-mail's HTML alone, for the preview's sandboxed frame: as the mail reader shows it."""
    campaign = _campaign_or_404(campaign_id)
    step, person, _members = _preview_of(campaign)
    _subject, _text, html = render_for(db.session, campaign, step, person)
    return (
        html,
        200,
        {"Content-Security-Policy": BODY_CSP, "X-Frame-Options": "SAMEORIGIN", "Cache-Control": "no-store"},
    )


@bp.route("/<int:campaign_id>/test", methods=["POST"])
@require_role(*OFFICE_ROLES)
def send_test(campaign_id: int):
    """Send every step to me, as I would get it, marked as a test."""
    campaign = _campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    for step in campaign.steps:
        subject, text, html = render_for(db.session, campaign, step, current_user)
        message_id = new_message_id()
        db.session.add(
            OutboxMessage(
                dedup_key=f"test:{message_id}",
                message_id=message_id,
                category="system",
                user_id=current_user.id,
                to_addr=current_user.email,
                subject=f"[{_('Test')}] {subject}"[:400],
                body_text=text,
                body_html=html,
            )
        )
    db.session.commit()
    flash(_("A test of each step is on its way to %(email)s.", email=current_user.email), "success")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


_CONTROLS = {
    "schedule": (lifecycle.schedule_campaign, lambda: _("The campaign is scheduled.")),
    "pause": (lifecycle.pause_campaign, lambda: _("The campaign is paused; nothing more is sent until you resume it.")),
    "resume": (lifecycle.resume_campaign, lambda: _("The campaign goes on.")),
    "cancel": (lifecycle.cancel_campaign, lambda: _("The campaign is cancelled.")),
    "resend": (lifecycle.resend_failed, lambda: _("The failed messages are queued again.")),
}


@bp.route("/<int:campaign_id>/<any(schedule, pause, resume, cancel, resend):action>", methods=["POST"])
@require_role(*OFFICE_ROLES)
def act(campaign_id: int, action: str):
    """The control buttons; an impossible move says why and changes nothing."""
    campaign = _campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if action == "schedule" and not campaign.steps:
        flash(_("Add at least one step first."), "danger")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id))
    func_, message = _CONTROLS[action]
    try:
        func_(db.session, campaign)
    except IllegalTransition:
        db.session.rollback()
        flash(
            _("This is not possible while the campaign is %(status)s.", status=STATUS_LABELS[campaign.status]), "danger"
        )
    except ScheduleError as error:
        db.session.rollback()
        flash(str(error), "danger")
    else:
        db.session.commit()
        flash(message(), "success")
        if action == "schedule" and (held := _held_at_once(campaign)):
            flash(held, "info")
    return redirect(url_for("campaigns.show", campaign_id=campaign.id))


def _held_at_once(campaign: Campaign) -> str | None:
    """After "Schedule" at night or on a holiday: how many messages wait, until when and why."""
    try:
        size = count_audience(db.session, campaign.audience)
    except AudienceError:
        return None
    return waiting.schedule_notice(campaign, size, utcnow())


@bp.route("/<int:campaign_id>/recipients.<any(csv, xlsx):fmt>")
@require_role(*OFFICE_ROLES)
def recipients_export(campaign_id: int, fmt: str):
    """Every message of the campaign with its delivery, open and click times."""
    campaign = _campaign_or_404(campaign_id)
    records = reports.recipient_rows(db.session, campaign, _tz())
    name = f"campaign-{campaign.id}-recipients"
    title = name_in(campaign.names, current_locale(), campaign.name)[0]
    return export_response(fmt, name, title, reports.recipient_header(), records)


@bp.route("/audience-count")
@require_role(*OFFICE_ROLES)
def audience_count():
    """The live count of the audience being built in the form."""
    form = _campaign_form(formdata=request.args, meta={"csrf": False})
    try:
        rule = editing.audience_from_form(db.session, form)
    except AudienceError as error:
        return jsonify(error=str(error)), 400
    return jsonify(count=count_audience(db.session, rule), description=describe_rule(rule, current_locale()))
