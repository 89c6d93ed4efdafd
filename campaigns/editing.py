"""Turning the office's forms into campaigns and steps, refusing what could not run."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from campaigns.forms import CampaignForm, StepForm
from campaigns.models import Campaign, CampaignStep, StepTiming
from campaigns.rendering import placeholder_errors
from campaigns.scheduling import ScheduleError, validate_cron
from courses.audience.rules import AudienceError, validate_rule
from lms.config import LOCALES
from lms.database import utcnow
from lms.names import name_in, names_from_fields

COURSE_KINDS = {"not_completed", "due_within", "overdue", "completed_within"}
DAYS_KINDS = {"due_within", "completed_within"}


def audience_from_form(session: Session, form: CampaignForm) -> dict:
    """The audience rule the form describes, validated; errors land on the form's fields."""
    rule = form.audience_rule()
    kind = rule["kind"]
    if kind in COURSE_KINDS:
        rule["course"] = form.course_slug.data
    if kind in DAYS_KINDS:
        rule["days"] = form.audience_days.data
    return validate_rule(rule, session)


def apply_campaign_form(session: Session, campaign: Campaign, form: CampaignForm, locale: str) -> bool:
    """Copy the form into ``campaign``; False (with errors on the form) when the audience or the name is wrong.

    ``name``, the fallback, becomes the name in the office's ``locale`` (else another one)."""
    try:
        audience = audience_from_form(session, form)
    except AudienceError as error:
        form.audience_kind.errors.append(str(error))
        return False
    names = names_from_fields({locale: form[f"name_{locale}"].data for locale in LOCALES})
    if not names:
        form.name_kk.errors.append(_("Name the campaign in at least one language."))
        return False
    campaign.names = names
    campaign.name = name_in(names, locale)[0]
    campaign.category = form.category.data
    campaign.course_slug = form.course_slug.data or None
    campaign.audience = audience
    campaign.evergreen = form.evergreen.data
    campaign.track_opens = form.track_opens.data
    campaign.track_clicks = form.track_clicks.data
    campaign.escalate_after = form.escalate_after.data or 0
    return True


def fill_campaign_form(form: CampaignForm, campaign: Campaign, locale: str) -> None:
    names = campaign.names or {locale: campaign.name}  # a name saved before names had languages
    for code in LOCALES:
        form[f"name_{code}"].data = names.get(code, "")
    form.category.data, form.course_slug.data = campaign.category, campaign.course_slug
    rule = campaign.audience or {"kind": "all"}
    form.fill_audience(rule)
    form.audience_days.data = rule.get("days")
    form.evergreen.data, form.track_opens.data = campaign.evergreen, campaign.track_opens
    form.track_clicks.data, form.escalate_after.data = campaign.track_clicks, campaign.escalate_after


def apply_step_form(step: CampaignStep, form: StepForm, tz: ZoneInfo) -> bool:
    """Copy the form into ``step``; False (with errors on the form) when it could not be sent."""
    ok = True
    for part in ("subject", "body"):
        for locale in LOCALES:
            field = form[f"{part}_{locale}"]
            for problem in placeholder_errors(field.data or ""):
                field.errors.append(problem)
                ok = False
    if not any((form[f"subject_{loc}"].data or "").strip() for loc in LOCALES):
        form.subject_ru.errors.append(_("Write the subject in at least one language."))
        ok = False
    timing = form.timing.data
    if timing == StepTiming.AT and form.send_at.data is None:
        form.send_at.errors.append(_("Choose the date and time."))
        ok = False
    elif timing == StepTiming.AT and form.send_at.data.replace(tzinfo=tz) < utcnow().replace(second=0, microsecond=0):
        # A mistyped year would otherwise send to everyone the moment the campaign is scheduled.
        form.send_at.errors.append(_("This time has already passed: choose a later one."))
        ok = False
    if timing == StepTiming.CRON:
        try:
            form.cron.data = validate_cron(form.cron.data)
        except ScheduleError as error:
            form.cron.errors.append(str(error))
            ok = False
    if timing == StepTiming.RELATIVE_TO_DUE and form.offset_days.data is None:
        form.offset_days.errors.append(_("Say how many days from the due date."))
        ok = False
    if not ok:
        return False
    step.subject = {loc: (form[f"subject_{loc}"].data or "").strip() for loc in LOCALES}
    step.body = {loc: form[f"body_{loc}"].data or "" for loc in LOCALES}
    chosen = timing_from_form(form, tz)
    for name in ("timing", *TIMING_FIELDS):
        setattr(step, name, getattr(chosen, name))
    return True


#: The fields each timing uses; the step form shows only the chosen timing's.
TIMING_FIELDS = {
    "send_at": StepTiming.AT,
    "cron": StepTiming.CRON,
    "delay_days": StepTiming.DRIP,
    "offset_days": StepTiming.RELATIVE_TO_DUE,
    "repeat_days": StepTiming.RELATIVE_TO_DUE,
}


def timing_from_form(form: StepForm, tz: ZoneInfo) -> CampaignStep:
    """An unsaved step holding the form's timing; the fields of the other timings stay empty."""
    timing = form.timing.data or StepTiming.NOW
    values = {name: form[name].data if used == timing else None for name, used in TIMING_FIELDS.items()}
    local: datetime | None = values["send_at"]
    values["send_at"] = local.replace(tzinfo=tz) if local else None
    return CampaignStep(timing=timing, **values)


def fill_step_form(form: StepForm, step: CampaignStep, tz: ZoneInfo) -> None:
    for locale in LOCALES:
        form[f"subject_{locale}"].data = (step.subject or {}).get(locale, "")
        form[f"body_{locale}"].data = (step.body or {}).get(locale, "")
    form.timing.data = step.timing
    form.send_at.data = step.send_at.astimezone(tz).replace(tzinfo=None) if step.send_at else None
    form.cron.data, form.delay_days.data = step.cron, step.delay_days
    form.offset_days.data, form.repeat_days.data = step.offset_days, step.repeat_days
