"""Quiet hours, holidays and the weekly cap move sends later and never lose them."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.pacing import capped_time, next_sending_time, parse_holidays, parse_quiet_hours

ALMATY = ZoneInfo("Asia/Almaty")
QUIET = (time(21), time(8))


@pytest.mark.parametrize(
    ("local", "expected_local"),
    [
        (datetime(2026, 12, 1, 10, 0), datetime(2026, 12, 1, 10, 0)),  # daytime: now
        (datetime(2026, 12, 1, 22, 30), datetime(2026, 12, 2, 8, 0)),  # late evening: next morning
        (datetime(2026, 12, 2, 3, 0), datetime(2026, 12, 2, 8, 0)),  # small hours: this morning
        (datetime(2026, 12, 16, 12, 0), datetime(2026, 12, 18, 8, 0)),  # two holidays in a row
    ],
)
def test_next_sending_time_waits_out_night_and_holidays(local, expected_local):
    holidays = parse_holidays("2026-12-16, 2026-12-17")
    when = local.replace(tzinfo=ALMATY).astimezone(UTC)
    assert next_sending_time(when, ALMATY, QUIET, holidays) == expected_local.replace(tzinfo=ALMATY)


def test_quiet_hours_parse_and_may_be_off():
    assert parse_quiet_hours("21:00-08:00") == QUIET
    assert parse_quiet_hours("") is None
    noon = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert next_sending_time(noon, ALMATY, None, frozenset()) == noon
    assert parse_holidays("") == frozenset()
    assert date(2027, 1, 1) in parse_holidays("2027-01-01")


def test_cap_holds_a_third_message_until_the_first_leaves_the_week():
    now = datetime(2026, 12, 10, 9, tzinfo=UTC)
    recent = [now - timedelta(days=2), now - timedelta(days=1)]
    assert capped_time(now, recent, 2, timedelta(days=7)) == recent[0] + timedelta(days=7)
    assert capped_time(now, recent[:1], 2, timedelta(days=7)) == now
    assert capped_time(now, recent, 0, timedelta(days=7)) == now


@given(
    offsets=st.lists(st.integers(min_value=-20_000, max_value=0), max_size=8),
    cap=st.integers(min_value=1, max_value=3),
)
def test_capped_time_never_earlier_and_keeps_the_cap(offsets, cap):
    now = datetime(2026, 12, 10, tzinfo=UTC)
    window = timedelta(days=7)
    recent = [now + timedelta(minutes=m) for m in offsets]
    chosen = capped_time(now, recent, cap, window)
    assert chosen >= now
    assert sum(1 for t in recent if chosen - window < t <= chosen) < cap
