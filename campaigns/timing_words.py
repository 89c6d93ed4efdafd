"""A step's timing in plain words ("every first Monday at 10:00, next: 7 December") for the office.

A cron rule is read back only in the shapes the office uses (every day, some weekdays, the n-th
weekday, a day of the month, each at one time); any other rule is quoted as it is. The next time
comes from the scheduler's own ``first_run``, so the words and the sending agree.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask_babel import format_time, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaigns.models import CampaignStep, StepTiming
from campaigns.scheduling import ScheduleError, first_run
from lms.i18n import local_datetime

#: Cron weekdays (0 and 7: Sunday) → "every Monday", … (each language agrees the word with its day).
EVERY_WEEKDAY = {
    1: _l("every Monday"),
    2: _l("every Tuesday"),
    3: _l("every Wednesday"),
    4: _l("every Thursday"),
    5: _l("every Friday"),
    6: _l("every Saturday"),
    0: _l("every Sunday"),
}
#: ``weekday#n`` in cron: the n-th such weekday of the month.
NTH_WEEKDAY = {
    (1, 1): _l("every first Monday of the month"),
    (1, 2): _l("every second Monday of the month"),
    (1, 3): _l("every third Monday of the month"),
    (1, 4): _l("every fourth Monday of the month"),
    (2, 1): _l("every first Tuesday of the month"),
    (2, 2): _l("every second Tuesday of the month"),
    (2, 3): _l("every third Tuesday of the month"),
    (2, 4): _l("every fourth Tuesday of the month"),
    (3, 1): _l("every first Wednesday of the month"),
    (3, 2): _l("every second Wednesday of the month"),
    (3, 3): _l("every third Wednesday of the month"),
    (3, 4): _l("every fourth Wednesday of the month"),
    (4, 1): _l("every first Thursday of the month"),
    (4, 2): _l("every second Thursday of the month"),
    (4, 3): _l("every third Thursday of the month"),
    (4, 4): _l("every fourth Thursday of the month"),
    (5, 1): _l("every first Friday of the month"),
    (5, 2): _l("every second Friday of the month"),
    (5, 3): _l("every third Friday of the month"),
    (5, 4): _l("every fourth Friday of the month"),
}


def timing_summary(step: CampaignStep, tz: ZoneInfo, now: datetime) -> str:
    """What the step's timing means, and for timed steps when it would next go, in the reader's language."""
    words = timing_words(step)
    if step.timing not in (StepTiming.AT, StepTiming.CRON):
        return words
    try:
        upcoming = first_run(step, now, tz)
    except ScheduleError:
        return words
    return _("%(timing)s, next: %(date)s", timing=words, date=local_datetime(upcoming, "long"))


def timing_words(step: CampaignStep) -> str:
    """The timing alone, without its next time: "every first Monday of the month at 10:00"."""
    if step.timing == StepTiming.AT:
        return _("once")
    if step.timing == StepTiming.CRON:
        return cron_words(step.cron or "")
    if step.timing == StepTiming.DRIP:
        days = step.delay_days or 0
        return ngettext(
            "%(num)d day after the person got the previous step",
            "%(num)d days after the person got the previous step",
            days,
        )
    if step.timing == StepTiming.RELATIVE_TO_DUE:
        return _due_words(step.offset_days or 0, step.repeat_days)
    if step.timing == StepTiming.ON_JOIN:
        return _("when a person joins the audience")
    return _("as soon as the campaign is scheduled")


def _due_words(offset: int, repeat: int | None) -> str:
    if offset < 0:
        words = ngettext("%(num)d day before the due date", "%(num)d days before the due date", -offset)
    elif offset > 0:
        words = ngettext("%(num)d day after the due date", "%(num)d days after the due date", offset)
    else:
        words = _("on the due date")
    if repeat:
        words += ", " + ngettext("then every day until completed", "then every %(num)d days until completed", repeat)
    return words


def cron_words(rule: str) -> str:
    """A five-field cron rule in words, when it has one of the usual shapes; else the rule itself, quoted."""
    fields = rule.split()
    quoted = _("by the rule “%(rule)s”", rule=rule)
    if len(fields) != 5 or not fields[0].isdigit() or not fields[1].isdigit() or fields[3] != "*":
        return quoted
    minute, hour, day, _month, weekday = fields
    if not (int(minute) < 60 and int(hour) < 24):
        return quoted
    at = format_time(time(int(hour), int(minute)), "HH:mm")
    days = _days_words(day, weekday)
    return _("%(days)s at %(time)s", days=days, time=at) if days else quoted


def _days_words(day: str, weekday: str) -> str | None:
    if day == "*" and weekday == "*":
        return _("every day")
    if day == "*" and weekday == "1-5":
        return _("every working day (Monday to Friday)")
    if day == "*" and weekday.isdigit() and int(weekday) % 7 in EVERY_WEEKDAY:
        return str(EVERY_WEEKDAY[int(weekday) % 7])
    if day == "*" and "#" in weekday:
        name, _sep, nth = weekday.partition("#")
        if name.isdigit() and nth.isdigit() and (int(name), int(nth)) in NTH_WEEKDAY:
            return str(NTH_WEEKDAY[int(name), int(nth)])
    if weekday == "*" and day.isdigit() and 1 <= int(day) <= 31:
        return _("on day %(day)s of every month", day=day)
    return None
