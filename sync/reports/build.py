"""A report from the store: which streams it reads, its default period, and the computation it runs.

The one place the CLI and scheduled rules turn a report request into a :class:`Report`; it only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal, cast

from rules.actions.ticket import CreateTicket
from sync.reports.kpi import BASELINE, WINDOW, Metrics, metrics_of_batches
from sync.reports.loop import GroupBy as LoopGroup
from sync.reports.loop import TicketMade, loop_report
from sync.reports.model import Report
from sync.reports.nps import GroupBy as NpsGroup
from sync.reports.nps import nps_document
from sync.reports.sla import sla_report
from sync.reports.sli import GroupBy as SliGroup
from sync.reports.sli import sli_report
from sync.reports.window import Window, between, week_of
from sync.store.transaction import Transaction

Kind = Literal["sli", "loop", "sla", "nps"]
KINDS: tuple[Kind, ...] = ("sli", "loop", "sla", "nps")
GROUPINGS: dict[str, tuple[str, ...]] = {
    "sli": ("region", "office", "referral_account"),
    "loop": ("owner", "company"),
    "sla": (),
    "nps": ("company", "survey"),
}
SLI_STREAM, NPS_STREAM = "salesforce.sli", "hubspot.nps"


@dataclass(frozen=True)
class ReportRequest:
    kind: Kind
    window: Window | None = None  # default: the current week (sli), all (nps), else the last 28 days
    by: str | None = None
    region: str | None = None
    office: str | None = None
    period: Literal["day", "week", "month", "year", "all"] = "month"
    sli_stream: str = SLI_STREAM
    nps_stream: str = NPS_STREAM

    def check(self) -> None:
        """Raise ``ValueError`` for a grouping or filter this kind does not take."""
        if self.kind not in KINDS:
            raise ValueError(f"unknown report {self.kind!r} (known: {', '.join(KINDS)})")
        if self.by is not None and self.by not in GROUPINGS[self.kind]:
            known = ", ".join(GROUPINGS[self.kind]) or "none"
            raise ValueError(f"report {self.kind} cannot be grouped by {self.by!r} (it takes: {known})")
        if (self.region or self.office) and self.kind != "sli":
            raise ValueError("--region and --office filter the sli report only")

    def window_at(self, now: datetime, zone: tzinfo) -> Window:
        if self.window is not None:
            return self.window
        if self.kind == "sli":
            return week_of(now, zone)
        if self.kind == "nps":  # every stored response
            return between(datetime(1970, 1, 1, tzinfo=UTC), now + timedelta(days=3660), zone)
        return between(now - WINDOW, now + timedelta(microseconds=1), zone)


def build_report(tx: Transaction, request: ReportRequest, now: datetime, zone: tzinfo) -> Report:
    request.check()
    window = request.window_at(now, zone)
    if request.kind == "sli":
        return sli_report(
            tx.records.with_changes(request.sli_stream),
            window,
            now,
            by=cast(SliGroup, request.by or "region"),
            region=request.region,
            office=request.office,
        )
    if request.kind == "loop":
        return loop_report(
            tx.records.with_changes(request.nps_stream),
            window,
            now,
            by=cast(LoopGroup, request.by or "owner"),
            tickets=tickets_made(tx),
        )
    if request.kind == "sla":
        return sla_report(
            tx.records.with_changes(request.sli_stream),
            tx.records.with_changes(request.nps_stream),
            window,
            now,
            zone,
            tickets=tickets_made(tx),
        )
    return nps_document(
        tx.records.with_changes(request.nps_stream),
        window,
        now,
        period=request.period,
        by=cast(NpsGroup, request.by),
        zone=zone,
    )


def current_metrics(tx: Transaction, now: datetime, nps_stream: str = NPS_STREAM) -> Metrics:
    """The KPIs at ``now``. A response is first seen after it was submitted, so only records first
    seen since the baseline began can count: the others are not read."""
    since = now - WINDOW - BASELINE
    return metrics_of_batches(tx.records.with_changes_batched(nps_stream, first_seen_since=since), now)


def tickets_made(tx: Transaction) -> dict[str, TicketMade]:
    """The tickets crm-sync delivered, by the record they were made for (earliest per record)."""
    made: dict[str, TicketMade] = {}
    for row in tx.ledger.find(status="delivered", kind=CreateTicket.name):
        if row.delivered_at is None:
            continue
        known = made.get(row.record_key)
        if known is None or row.delivered_at < known.at:
            owner = (row.payload or {}).get("owner") or {}
            made[row.record_key] = TicketMade(row.delivered_at, owner.get("email"))
    return made
