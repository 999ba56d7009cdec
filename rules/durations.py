"""Durations (``30m``, ``24h``, ``14d``, ``1d12h``) and business-time arithmetic.

A plain duration is wall-clock time: ``24h`` is 86,400 seconds and ``14d`` is 14 × 24 hours. With a
:class:`BusinessCalendar`, days count working days (same local time of day) and hours/minutes count
working time inside the calendar's opening hours, skipping weekends and public holidays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib

_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT_ORDER = "wdhms"
_DURATION_RE = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


class DurationError(ValueError):
    """A duration string that cannot be parsed."""


@dataclass(frozen=True, order=True)
class Duration:
    """A non-negative duration split into whole days and a sub-day remainder in seconds."""

    days: int = 0
    seconds: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse ``30m``, ``24h``, ``14d``, ``2w``, ``1d12h`` (units in descending order)."""
        if not isinstance(text, str):
            raise DurationError(f"expected a duration such as 30m, 24h or 14d, got {text!r}")
        cleaned = text.strip().lower()
        match = _DURATION_RE.fullmatch(cleaned)
        if not cleaned or match is None:
            raise DurationError(
                f"invalid duration {text!r}: use a number and a unit (w, d, h, m, s), e.g. 30m, 24h, 14d, 1d12h"
            )
        weeks, days, hours, minutes, seconds = (int(group or 0) for group in match.groups())
        return cls(days=weeks * 7 + days, seconds=hours * 3600 + minutes * 60 + seconds).normalised()

    def normalised(self) -> Duration:
        extra_days, seconds = divmod(self.seconds, 86400)
        return Duration(days=self.days + extra_days, seconds=seconds)

    @property
    def total(self) -> timedelta:
        return timedelta(days=self.days, seconds=self.seconds)

    def __str__(self) -> str:
        if self.days == 0 and self.seconds == 0:
            return "0s"
        remaining = self.days * 86400 + self.seconds
        parts = []
        for unit in _UNIT_ORDER:
            if unit == "w":
                continue  # weeks print as days, so a duration prints in one canonical form
            size = _UNIT_SECONDS[unit]
            count, remaining = divmod(remaining, size)
            if count:
                parts.append(f"{count}{unit}")
        return "".join(parts)


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days and hours in one time zone, with public holidays from the ``holidays`` package."""

    timezone: ZoneInfo
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    country: str | None = None
    subdivision: str | None = None
    extra_holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError(f"opening time {self.opens} must be before closing time {self.closes}")
        if not self.workdays:
            raise ValueError("a business calendar needs at least one working day")
        if self.country is not None:
            # Validate eagerly so a bad country code fails when the config loads.
            holidays_lib.country_holidays(self.country, subdiv=self.subdivision, years=2000)

    def is_holiday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return True
        if self.country is None:
            return False
        return day in _holidays_for(self.country, self.subdivision, day.year)

    def is_workday(self, day: date) -> bool:
        return day.weekday() in self.workdays and not self.is_holiday(day)

    def _local(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.timezone)

    def _next_workday(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def _clamp_to_open(self, when: datetime) -> datetime:
        """The first working instant at or after ``when`` (closing time counts as closed)."""
        local = when.astimezone(self.timezone)
        day = local.date()
        if self.is_workday(day):
            if local.time() < self.opens:
                return self._local(day, self.opens)
            if local.time() < self.closes:
                return local
        return self._local(self._next_workday(day), self.opens)

    def add(self, start: datetime, duration: Duration) -> datetime:
        """``start`` plus ``duration`` of working time; the result is timezone-aware."""
        if start.tzinfo is None:
            raise ValueError("business-time arithmetic needs a timezone-aware start")
        current = start.astimezone(self.timezone)
        if duration.days:
            current = self._clamp_to_open(current)
            day = current.date()
            for _ in range(duration.days):
                day = self._next_workday(day)
            current = self._local(day, current.time())
        remaining = timedelta(seconds=duration.seconds)
        if not remaining:
            return current
        current = self._clamp_to_open(current)
        while True:
            closing = self._local(current.date(), self.closes)
            available = closing - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            current = self._local(self._next_workday(current.date()), self.opens)


_HOLIDAY_CACHE: dict[tuple[str, str | None, int], holidays_lib.HolidayBase] = {}


def _holidays_for(country: str, subdivision: str | None, year: int) -> holidays_lib.HolidayBase:
    key = (country, subdivision, year)
    if key not in _HOLIDAY_CACHE:
        _HOLIDAY_CACHE[key] = holidays_lib.country_holidays(country, subdiv=subdivision, years=year)
    return _HOLIDAY_CACHE[key]


def add_duration(start: datetime, duration: Duration, calendar: BusinessCalendar | None = None) -> datetime:
    """``start + duration`` in wall-clock time, or in working time when a calendar is given."""
    if calendar is None:
        return start + duration.total
    return calendar.add(start, duration)
