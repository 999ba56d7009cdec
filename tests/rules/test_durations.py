from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.durations import BusinessCalendar, Duration, DurationError, add_duration

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("14d", timedelta(days=14)),
        ("2w", timedelta(days=14)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("90s", timedelta(seconds=90)),
        (" 48H ", timedelta(hours=48)),
    ],
)
def test_parse(text: str, expected: timedelta) -> None:
    assert Duration.parse(text).total == expected


@pytest.mark.parametrize("text", ["", "24", "h", "1.5h", "-3d", "24 hours", "12h1d", "1d 2h", "tomorrow"])
def test_parse_rejects_with_a_helpful_message(text: str) -> None:
    with pytest.raises(DurationError, match="duration"):
        Duration.parse(text)


@given(st.integers(0, 10_000), st.integers(0, 86_399))
def test_format_parse_round_trip(days: int, seconds: int) -> None:
    duration = Duration(days, seconds)
    assert Duration.parse(str(duration)) == duration


@given(st.text(max_size=12))
def test_parse_never_raises_anything_but_duration_error(text: str) -> None:
    try:
        result = Duration.parse(text)
    except DurationError:
        return
    assert result.total >= timedelta(0)


CAL = BusinessCalendar(timezone=NY, country="US", opens=time(9), closes=time(17))


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY)


def test_business_hours_skip_nights_and_weekends() -> None:
    # Friday 2026-11-20 16:00 + 2 working hours = Monday 10:00.
    assert CAL.add(at(20, 16), Duration.parse("2h")) == at(23, 10)


def test_business_days_skip_public_holidays() -> None:
    # Wednesday 2026-11-25 10:00 + 1 business day: Thanksgiving (26th) is skipped -> Friday 27th 10:00.
    assert CAL.add(at(25, 10), Duration.parse("1d")) == at(27, 10)


def test_start_outside_hours_counts_from_opening() -> None:
    assert CAL.add(at(21, 12), Duration.parse("30m")) == at(23, 9, 30)  # Saturday -> Monday 09:30
    assert CAL.add(at(23, 7), Duration.parse("1h")) == at(23, 10)


def test_extra_holidays_and_workdays() -> None:
    cal = BusinessCalendar(
        timezone=UTC, workdays=frozenset({0, 1, 2, 3}), extra_holidays=frozenset({date(2026, 3, 3)})
    )
    start = datetime(2026, 3, 2, 16, tzinfo=UTC)  # Monday; Tuesday is a holiday; Friday is not a workday
    assert cal.add(start, Duration.parse("2h")) == datetime(2026, 3, 4, 10, tzinfo=UTC)


def test_plain_durations_are_wall_clock() -> None:
    start = datetime(2026, 3, 7, 12, tzinfo=UTC)
    assert add_duration(start, Duration.parse("24h")) == start + timedelta(hours=24)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add(datetime(2026, 1, 5, 10), Duration.parse("1h"))


starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
hours = st.integers(0, 60 * 60).map(lambda minutes: Duration(0, minutes * 60).normalised())


@given(starts, hours, hours)
def test_business_addition_is_associative_for_working_time(start: datetime, a: Duration, b: Duration) -> None:
    if a.days or b.days or (a.seconds + b.seconds) >= 86400:
        return
    assert CAL.add(CAL.add(start, a), b) == CAL.add(start, Duration(0, a.seconds + b.seconds))


@given(starts, hours)
def test_business_result_is_never_earlier_and_lands_in_opening_hours(start: datetime, d: Duration) -> None:
    result = CAL.add(start, d)
    assert result >= start
    if d.seconds:
        local = result.astimezone(NY)
        assert CAL.is_workday(local.date())
        assert time(9) < local.time() <= time(17)
