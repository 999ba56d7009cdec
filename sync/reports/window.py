"""The period a report covers and the one before it, in the config's time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True)
class Window:
    """``[since, until)``; ``prior`` is the window of the same length just before it."""

    since: datetime
    until: datetime
    label: str

    @property
    def prior(self) -> Window:
        length = self.until - self.since
        return Window(self.since - length, self.since, f"before {self.label}")

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.since <= moment < self.until


def iso_week(text: str, zone: tzinfo) -> Window:
    """``2026-W48``: Monday 00:00 to the next Monday 00:00 in ``zone``."""
    match = WEEK_RE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an ISO week (YYYY-Www, e.g. 2026-W48)")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an ISO week: {exc}") from None
    start = datetime.combine(monday, time(), zone)
    return Window(start, datetime.combine(monday + timedelta(days=7), time(), zone), text.strip())


def week_of(moment: datetime, zone: tzinfo) -> Window:
    """The ISO week (in ``zone``) that holds ``moment``."""
    year, week, _ = moment.astimezone(zone).isocalendar()
    return iso_week(f"{year}-W{week:02d}", zone)


def last_full_week(now: datetime, zone: tzinfo) -> Window:
    """The last ISO week that ended at or before ``now`` (a Monday digest reviews the week before)."""
    return week_of(week_of(now, zone).since - timedelta(seconds=1), zone)


def between(since: datetime, until: datetime, zone: tzinfo) -> Window:
    local = (since.astimezone(zone).date(), (until - timedelta(seconds=1)).astimezone(zone).date())
    return Window(since, until, f"{local[0].isoformat()}..{local[1].isoformat()}")
