"""Respect for inboxes: quiet hours, holidays and a weekly cap move a send later, never drop it.

Pure functions on times; the university's local time decides what "night" and "holiday" mean.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """``"21:00-08:00"`` → (21:00, 08:00); empty → no quiet hours."""
    if not value:
        return None
    start, end = value.split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def parse_holidays(value: str) -> frozenset[date]:
    """``"2026-12-16,2027-01-01"`` → the dates on which nothing is sent."""
    return frozenset(date.fromisoformat(d.strip()) for d in (value or "").split(",") if d.strip())


def _in_quiet(moment: time, quiet: tuple[time, time]) -> bool:
    start, end = quiet
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def next_sending_time(
    when: datetime, tz: ZoneInfo, quiet: tuple[time, time] | None, holidays: frozenset[date]
) -> datetime:
    """The first moment at or after ``when`` (UTC) outside quiet hours and holidays, in UTC."""
    local = when.astimezone(tz)
    for _ in range(400):  # a year of holidays at most; then send anyway rather than never
        if local.date() in holidays:
            local = datetime.combine(local.date() + timedelta(days=1), quiet[1] if quiet else time(9), tz)
            continue
        if quiet and _in_quiet(local.timetz().replace(tzinfo=None), quiet):
            end_day = local.date() if local.time() < quiet[1] else local.date() + timedelta(days=1)
            local = datetime.combine(end_day, quiet[1], tz)
            continue
        break
    return local.astimezone(UTC)


def capped_time(earliest: datetime, recent: list[datetime], cap: int, window: timedelta) -> datetime:
    """The first time ≥ ``earliest`` at which one more message keeps at most ``cap`` in the ``window`` before it.

    ``recent`` are the person's other non-mandatory send times (sent or already planned).
    """
    if cap <= 0:
        return earliest
    times = sorted(recent)
    candidate = earliest
    while True:
        inside = [t for t in times if candidate - window < t <= candidate]
        if len(inside) < cap:
            return candidate
        candidate = inside[len(inside) - cap] + window
