"""When a step runs next: pure functions on the step's timing and the university's time zone."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from flask_babel import gettext as _

from campaigns.models import CampaignStep, StepTiming

#: How often steps that keep watching (drip, due-date reminders, evergreen) look again.
WATCH_INTERVAL = timedelta(minutes=5)
#: A catch-up notes at most this many skipped occurrences, the most recent (a minute rule
#: stopped for a month would otherwise note 43,200).
MAX_NOTED_SKIPS = 500


class ScheduleError(ValueError):
    """A timing that cannot run (a cron rule that does not parse, a send time missing)."""


def validate_cron(rule: str) -> str:
    rule = " ".join((rule or "").split())
    if len(rule.split()) != 5 or not croniter.is_valid(rule):
        raise ScheduleError(_("not a cron rule with five fields: “%(rule)s”", rule=rule))
    return rule


def next_cron_run(rule: str, after: datetime, tz: ZoneInfo) -> datetime:
    """The first time the rule fires strictly after ``after``, read in local time, as UTC."""
    local_after = after.astimezone(tz)
    return croniter(rule, local_after).get_next(datetime).astimezone(UTC)


def catch_up(
    rule: str, first_due: datetime, now: datetime, tz: ZoneInfo, limit: int = MAX_NOTED_SKIPS
) -> tuple[datetime, list[datetime]]:
    """A cron step due since ``first_due``: the occurrence to run now and the earlier ones it replaces.

    After downtime a recurring step runs once, for its latest occurrence that has come (its
    messages say what is true now); every occurrence that passed meanwhile is returned, newest
    first and at most ``limit``, so the campaign page can list it as skipped. On time, the list
    is empty.
    """
    times = croniter(rule, (now + timedelta(seconds=1)).astimezone(tz))
    latest = times.get_prev(datetime).astimezone(UTC)
    if latest <= first_due:
        return first_due, []
    skipped = []
    while len(skipped) < limit:
        previous = times.get_prev(datetime).astimezone(UTC)
        if previous < first_due:
            break
        skipped.append(previous)
    return latest, skipped


def first_run(step: CampaignStep, now: datetime, tz: ZoneInfo) -> datetime:
    """When the scheduler first looks at a step once its campaign is scheduled."""
    if step.timing == StepTiming.AT:
        if step.send_at is None:
            raise ScheduleError(_("a send time is needed"))
        return step.send_at
    if step.timing == StepTiming.CRON:
        return next_cron_run(validate_cron(step.cron), now - timedelta(seconds=1), tz)
    return now


def run_after(step: CampaignStep, ran_at: datetime, tz: ZoneInfo, evergreen: bool) -> datetime | None:
    """When to look at the step again after a run (``None``: it is done)."""
    if step.timing == StepTiming.CRON:
        return next_cron_run(step.cron, ran_at, tz)
    if step.timing in (StepTiming.DRIP, StepTiming.RELATIVE_TO_DUE, StepTiming.ON_JOIN):
        return ran_at + WATCH_INTERVAL
    return ran_at + WATCH_INTERVAL if evergreen else None
