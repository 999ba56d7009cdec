"""``crm-sync report sla``: each timed process step's compliance across both CRMs.

A step starts at a moment (an SLI created, an incident, a response) and is *met* when its end came
within the target, *breached* when it came later or has not come and the target has passed, and *open*
while neither. The trend is each ISO week's compliance (met of met plus breached), by when steps started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sync.reports.history import RecordHistory
from sync.reports.loop import Detractor, TicketMade, detractors
from sync.reports.model import Report, Table, share
from sync.reports.sli import OVERDUE_AFTER, PLAN_TARGET, Sli
from sync.reports.sli import load as load_slis
from sync.reports.window import Window, week_of


@dataclass(frozen=True)
class Step:
    """One instance of a timed step: when it started and ended (None: not yet), against its target."""

    started: datetime
    ended: datetime | None
    target: timedelta
    excused: bool = False  # e.g. an exception approved by a Regional Director: counts as met

    def state(self, now: datetime) -> str:
        if self.excused or (self.ended is not None and self.ended - self.started <= self.target):
            return "met"
        if self.ended is not None or now - self.started > self.target:
            return "breached"
        return "open"


@dataclass(frozen=True)
class Target:
    process: str
    crm: str
    description: str
    steps: Callable[[], Sequence[Step]]


def targets(
    sli: Iterable[RecordHistory],
    nps: Iterable[RecordHistory],
    tickets: Mapping[str, TicketMade] | None = None,
) -> list[Target]:
    slis: list[Sli] = load_slis(sli)
    ds: list[Detractor] = detractors(nps, tickets)
    return [
        Target(
            "SLI",
            "Salesforce",
            "intervention plan within 24 hours of submission",
            lambda: [Step(s.opened_at, s.planned_at, PLAN_TARGET) for s in slis],
        ),
        Target(
            "SLI",
            "Salesforce",
            "resolved within 30 days of the incident",
            lambda: [
                Step(s.incident_at or s.opened_at, s.resolved_at, OVERDUE_AFTER, s.exception) for s in slis
            ],
        ),
        Target(
            "NPS",
            "HubSpot",
            "detractor called within 48 hours",
            lambda: [Step(d.responded_at, d.called_at, timedelta(hours=48)) for d in ds],
        ),
    ]


def sla_report(
    sli: Iterable[RecordHistory],
    nps: Iterable[RecordHistory],
    window: Window,
    now: datetime,
    zone: tzinfo,
    weeks: int = 4,
    tickets: Mapping[str, TicketMade] | None = None,
) -> Report:
    """Compliance of the steps that started in ``window``; the trend over its last ``weeks`` weeks."""
    trend_weeks: list[Window] = []
    end = week_of(min(now, window.until) - timedelta(seconds=1), zone)
    for _ in range(weeks):
        trend_weeks.insert(0, end)
        end = week_of(end.since - timedelta(seconds=1), zone)
    rows = []
    for target in targets(list(sli), list(nps), tickets):
        steps = target.steps()
        states = [s.state(now) for s in steps if window.holds(s.started)]
        met, breached = states.count("met"), states.count("breached")
        trend = []
        for w in trend_weeks:
            weekly = [s.state(now) for s in steps if w.holds(s.started)]
            trend.append(share(weekly.count("met"), weekly.count("met") + weekly.count("breached")))
        rows.append(
            (
                target.process,
                target.crm,
                target.description,
                met,
                breached,
                states.count("open"),
                share(met, met + breached),
                " ".join("-" if t is None else f"{t:g}" for t in trend),
            )
        )
    trend_label = f"weekly % ({trend_weeks[0].label}..{trend_weeks[-1].label})"
    table = Table(
        "compliance",
        "Compliance with each timed step",
        ("process", "crm", "target", "met", "breached", "open", "compliance (%)", trend_label),
        tuple(rows),
    )
    return Report("sla", "SLA compliance", window.label, now, (table,))
