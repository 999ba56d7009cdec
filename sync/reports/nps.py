"""``crm-sync report nps``: the Net Promoter Score from the stored responses.

NPS = % promoters (9-10) − % detractors (0-6), per period and optionally per company or survey. Only
responses that passed the stream's checks count (rejected ones, such as "N/A", are left out), and only
NPS surveys. Pure over the records it is given; the CLI reads them from the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal

from rules.expressions import to_datetime, to_int
from rules.model import lookup
from sync.reports.history import RecordHistory
from sync.reports.kpi import nps_trend
from sync.reports.model import Report, Table
from sync.reports.window import Window

Period = Literal["day", "week", "month", "year", "all"]
GroupBy = Literal["company", "survey"] | None


@dataclass(frozen=True)
class NpsRow:
    period: str
    group: str | None
    promoters: int
    passives: int
    detractors: int
    responses: int
    nps: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def category(score: int) -> str:
    """NPS category of a 0-10 score: 0-6 detractor, 7-8 passive, 9-10 promoter."""
    return "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"


def period_of(moment: datetime, period: Period, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    if period == "day":
        return local.date().isoformat()
    if period == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{local.year}-{local.month:02d}"
    if period == "year":
        return str(local.year)
    return "all"


def _group(record: Mapping[str, Any], by: GroupBy) -> str | None:
    if by == "company":
        return str(lookup(record, "company.name") or "(no company)")
    if by == "survey":
        return str(lookup(record, "hs_survey_name") or lookup(record, "hs_survey_id") or "(unknown survey)")
    return None


def nps_report(
    records: Iterable[tuple[Mapping[str, Any], datetime]],
    *,
    since: datetime | None,
    until: datetime | None,
    period: Period,
    by: GroupBy,
    zone: tzinfo,
) -> list[NpsRow]:
    """Rows per (period, group) from ``(record, first seen)`` pairs, in period then group order."""
    counts: dict[tuple[str, str | None], dict[str, int]] = {}
    for record, first_seen in records:
        survey = lookup(record, "hs_survey_type")
        score = to_int(lookup(record, "hs_value"))
        if (survey not in (None, "NPS")) or score is None or not 0 <= score <= 10:
            continue
        moment = to_datetime(lookup(record, "hs_submission_timestamp")) or first_seen
        if (since and moment < since) or (until and moment >= until):
            continue
        bucket = counts.setdefault(
            (period_of(moment, period, zone), _group(record, by)),
            {"promoters": 0, "passives": 0, "detractors": 0},
        )
        bucket[category(score)] += 1
    rows = []
    for (label, group), c in sorted(counts.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        total = sum(c.values())
        nps = round(100 * (c["promoters"] - c["detractors"]) / total, 1)
        rows.append(NpsRow(label, group, c["promoters"], c["passives"], c["detractors"], total, nps))
    return rows


def format_report(rows: list[NpsRow]) -> str:
    """A table: period, group (when grouped), NPS and the counts behind it."""
    if not rows:
        return "No NPS responses in that range."
    width = max([len(r.group or "") for r in rows] + [5]) if any(r.group for r in rows) else 0
    group = (lambda text: f" {text:<{width}}") if width else (lambda text: "")
    lines = [f"{'period':<10}{group('group')} {'NPS':>6} {'prom':>5} {'pass':>5} {'detr':>5} {'total':>6}"]
    for r in rows:
        lines.append(
            f"{r.period:<10}{group(r.group or '')} {r.nps:>6.1f} {r.promoters:>5} {r.passives:>5}"
            f" {r.detractors:>5} {r.responses:>6}"
        )
    return "\n".join(lines)


def parse_day(text: str, zone: tzinfo, end: bool = False) -> datetime:
    """``2026-11-01`` (midnight in ``zone``) or a full ISO date-time; ``end`` makes a bare date inclusive."""
    moment = to_datetime(text, zone)
    if moment is None:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 date-time")
    if end and len(text.strip()) == 10:
        moment += timedelta(days=1)
    return moment


def nps_document(
    histories: Sequence[RecordHistory],
    window: Window,
    now: datetime,
    *,
    period: Period,
    by: GroupBy,
    zone: tzinfo,
) -> Report:
    """The NPS table as a :class:`Report`, with the weekly trend and its rolling 28-day line."""
    rows = nps_report(
        ((h.snapshot, h.first_seen) for h in histories),
        since=window.since,
        until=window.until,
        period=period,
        by=by,
        zone=zone,
    )
    columns = (
        "period",
        *(("group",) if by else ()),
        "nps",
        "promoters",
        "passives",
        "detractors",
        "responses",
    )
    table = Table(
        "nps",
        "Net Promoter Score (% promoters - % detractors)",
        columns,
        tuple(
            (r.period, *((r.group,) if by else ()), r.nps, r.promoters, r.passives, r.detractors, r.responses)
            for r in rows
        ),
    )
    return Report(
        "nps", "Net Promoter Score", window.label, now, (table,), (nps_trend(histories, window, zone),)
    )
