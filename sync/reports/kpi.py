"""KPIs on a rolling 28-day window, for drift rules and the NPS trend.

``nps_28d`` is the NPS of the responses of the last 28 days; ``nps_baseline`` the NPS of the 84 days
before those (the quarter the window is compared with); ``nps_change`` the relative change from the
baseline in percent (against its magnitude, so a fall is negative even from a negative baseline);
``detractor_share_28d`` the percentage of detractors; ``loop_share_48h`` the percentage of the window's
detractors, decided so far, who were called within 48 hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from rules.expressions import to_datetime, to_int
from sync.reports.history import RecordHistory
from sync.reports.loop import FOLLOW_UP_TARGET, Detractor, detractors, within
from sync.reports.model import Chart, Series, share
from sync.reports.window import Window, week_of

WINDOW = timedelta(days=28)
BASELINE = timedelta(days=84)


@dataclass(frozen=True)
class Response:
    at: datetime
    score: int


def responses(histories: Iterable[RecordHistory]) -> list[Response]:
    """Valid NPS responses (0-10 on an NPS survey) with when they were submitted."""
    found = []
    for h in histories:
        score = to_int(h.get("hs_value"))
        if score is None or not 0 <= score <= 10 or h.get("hs_survey_type") not in (None, "NPS"):
            continue
        found.append(Response(to_datetime(h.get("hs_submission_timestamp")) or h.first_seen, score))
    return found


def nps(scores: Sequence[int]) -> float | None:
    if not scores:
        return None
    return round(100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores), 1)


@dataclass(frozen=True)
class Metrics:
    """What a ``watch: metrics`` rule reads as ``metric.NAME`` (None when there is no data)."""

    nps_28d: float | None
    nps_baseline: float | None
    nps_change: float | None
    detractor_share_28d: float | None
    loop_share_48h: float | None
    responses_28d: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def metrics(histories: Iterable[RecordHistory], now: datetime) -> Metrics:
    return metrics_of_batches([list(histories)], now)


def metrics_of_batches(batches: Iterable[Sequence[RecordHistory]], now: datetime) -> Metrics:
    """The KPIs from histories read a batch at a time: only each batch's responses and detractors are
    kept (small values), never the records themselves."""
    all_responses: list[Response] = []
    all_detractors: list[Detractor] = []
    for batch in batches:
        all_responses += responses(batch)
        all_detractors += detractors(batch)
    recent = [r.score for r in all_responses if now - WINDOW <= r.at < now]
    before = [r.score for r in all_responses if now - WINDOW - BASELINE <= r.at < now - WINDOW]
    current, baseline = nps(recent), nps(before)
    change = None
    if current is not None and baseline is not None and baseline != 0:
        change = round(100 * (current - baseline) / abs(baseline), 1)
    window_detractors = [d for d in all_detractors if now - WINDOW <= d.responded_at < now]
    return Metrics(
        nps_28d=current,
        nps_baseline=baseline,
        nps_change=change,
        detractor_share_28d=share(sum(s <= 6 for s in recent), len(recent)),
        loop_share_48h=share(*within(window_detractors, "called_at", FOLLOW_UP_TARGET, now)),
        responses_28d=len(recent),
    )


def nps_trend(histories: Iterable[RecordHistory], window: Window, zone: tzinfo) -> Chart:
    """Weekly NPS bars over ``window`` with the rolling 28-day NPS at each week's end as a line."""
    all_responses = responses(histories)
    held = [r.at for r in all_responses if window.holds(r.at)]
    weeks: list[Window] = []
    if not held:
        return Chart("nps_trend", "NPS by week, with the rolling 28-day NPS", (), ())
    week, last = week_of(min(held), zone), max(held)
    while week.since <= last:
        weeks.append(week)
        week = week_of(week.until, zone)
    weekly = tuple(nps([r.score for r in all_responses if w.holds(r.at)]) for w in weeks)
    rolling = tuple(
        nps([r.score for r in all_responses if w.until - WINDOW <= r.at < w.until]) for w in weeks
    )
    return Chart(
        "nps_trend",
        "NPS by week, with the rolling 28-day NPS",
        tuple(w.label for w in weeks),
        (Series("weekly NPS", weekly, "bar"), Series("rolling 28 days", rolling, "line")),
        x_label="week",
        y_label="NPS",
    )
