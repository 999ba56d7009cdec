"""``crm-sync report sli``: the SLI dashboard reviewed in team meetings.

An SLI is *opened* when created (``CreatedDate``), *resolved* once its client and referral statuses are
Green or Red (at least one set, none Yellow or Orange: the same test as the 30-day escalation rule), and
*planned* once its intervention plan is filled. When it was resolved or planned comes from the record's
change history (the first sighting counts for an SLI created so). *Overdue*: unresolved, no exception
approved, more than 30 days after the incident.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from rules.expressions import to_datetime
from sync.reports.history import RecordHistory, State
from sync.reports.model import Chart, Report, Series, Table, hours, median, share
from sync.reports.window import Window

GroupBy = Literal["region", "office", "referral_account"]
RESOLVED = {"Green", "Red"}
COLOURS = ("Green", "Yellow", "Orange", "Red", "(not set)")
OVERDUE_AFTER = timedelta(days=30)
PLAN_TARGET = timedelta(hours=24)

FIELDS = {
    "region": "Office__r.Region__r.Name",
    "office": "Office__r.Name",
    "referral_account": "Referral_Account__r.Name",
    "client": "Client__r.Name",
}


def is_resolved(state: State) -> bool:
    client, referral = state.get("Client_Status__c"), state.get("Referral_Status__c")
    return bool(client or referral) and client in (None, *RESOLVED) and referral in (None, *RESOLVED)


def has_plan(state: State) -> bool:
    plan = state.get("Intervention_Plan__c")
    return isinstance(plan, str) and plan.strip() != ""


def reached(history: RecordHistory, test: Callable[[State], bool], opened: datetime) -> datetime | None:
    """When the SLI started to pass ``test``. One that passed it when first seen (a backfill) reached it
    at the latest when last modified before that sighting (``SystemModstamp``), not when crm-sync saw it."""
    at = history.became(test)
    if at is None or at != history.first_seen:
        return at
    first_state = next(iter(history.states()))[1]
    modified = to_datetime(first_state.get("SystemModstamp"))
    return max(modified, opened) if modified is not None and modified < at else at


@dataclass(frozen=True)
class Sli:
    """One SLI as the reports read it."""

    name: str
    opened_at: datetime
    incident_at: datetime | None
    resolved_at: datetime | None
    planned_at: datetime | None
    exception: bool
    client_status: str | None
    referral_status: str | None
    region: str
    office: str
    referral_account: str
    client: str

    @classmethod
    def of(cls, history: RecordHistory) -> Sli:
        def text(path: str, missing: str) -> str:
            value = history.get(path)
            return str(value) if value not in (None, "") else missing

        opened = to_datetime(history.get("CreatedDate")) or history.first_seen
        return cls(
            name=text("Name", history.record_id),
            opened_at=opened,
            incident_at=to_datetime(history.get("Incident_Date__c")),
            resolved_at=reached(history, is_resolved, opened),
            planned_at=reached(history, has_plan, opened),
            exception=bool(history.get("Exception_Approved__c")),
            client_status=history.get("Client_Status__c") or None,
            referral_status=history.get("Referral_Status__c") or None,
            region=text(FIELDS["region"], "(no region)"),
            office=text(FIELDS["office"], "(no office)"),
            referral_account=text(FIELDS["referral_account"], "(no referral account)"),
            client=text(FIELDS["client"], "(no client)"),
        )

    def group(self, by: GroupBy) -> str:
        return str(getattr(self, by))

    def due_by(self) -> datetime:
        """When it should be resolved: 30 days after the incident (else after it was opened)."""
        return (self.incident_at or self.opened_at) + OVERDUE_AFTER

    def overdue(self, now: datetime) -> bool:
        return self.resolved_at is None and not self.exception and now > self.due_by()


def load(
    histories: Iterable[RecordHistory], region: str | None = None, office: str | None = None
) -> list[Sli]:
    """The SLIs of the given region and office (case-insensitive), all when none is given."""
    slis = [Sli.of(h) for h in histories]
    return [
        s
        for s in slis
        if (region is None or s.region.lower() == region.lower())
        and (office is None or s.office.lower() == office.lower())
    ]


def _colour(value: str | None) -> str:
    return value if value in COLOURS else "(not set)"


def sli_report(
    histories: Iterable[RecordHistory],
    window: Window,
    now: datetime,
    *,
    by: GroupBy = "region",
    region: str | None = None,
    office: str | None = None,
    top: int = 10,
) -> Report:
    """The dashboard for ``window`` and the one before it; open and overdue as of ``now``."""
    slis = load(histories, region, office)
    prior = window.prior
    open_now = [s for s in slis if s.resolved_at is None and s.opened_at < now]

    def opened(w: Window) -> list[Sli]:
        return [s for s in slis if w.holds(s.opened_at)]

    def resolved(w: Window) -> list[Sli]:
        return [s for s in slis if w.holds(s.resolved_at)]

    def plan_hours(w: Window) -> list[float]:
        return [h for s in opened(w) if (h := hours(s.planned_at, s.opened_at)) is not None]

    def planned_in_time(w: Window) -> float | None:
        decided = [s for s in opened(w) if s.planned_at is not None or now - s.opened_at > PLAN_TARGET]
        met = [s for s in decided if s.planned_at is not None and s.planned_at - s.opened_at <= PLAN_TARGET]
        return share(len(met), len(decided))

    summary = Table(
        "summary",
        "SLIs",
        ("measure", window.label, prior.label),
        (
            ("opened", len(opened(window)), len(opened(prior))),
            ("resolved", len(resolved(window)), len(resolved(prior))),
            ("hours to a plan (median)", median(plan_hours(window)), median(plan_hours(prior))),
            ("planned within 24 h (%)", planned_in_time(window), planned_in_time(prior)),
            ("open now", len(open_now), None),
            ("overdue now", sum(s.overdue(now) for s in open_now), None),
        ),
    )
    groups = sorted({s.group(by) for s in slis})
    by_group = Table(
        "by_group",
        f"By {by.replace('_', ' ')}",
        (by, "opened", "opened before", "resolved", "open now", "overdue now"),
        tuple(
            (
                g,
                sum(s.group(by) == g for s in opened(window)),
                sum(s.group(by) == g for s in opened(prior)),
                sum(s.group(by) == g for s in resolved(window)),
                sum(s.group(by) == g for s in open_now),
                sum(s.group(by) == g and s.overdue(now) for s in open_now),
            )
            for g in groups
        ),
    )
    client = Counter(_colour(s.client_status) for s in open_now)
    referral = Counter(_colour(s.referral_status) for s in open_now)
    colours = Table(
        "open_by_colour",
        "Open SLIs by colour status",
        ("colour", "client", "referral"),
        tuple((c, client[c], referral[c]) for c in COLOURS),
    )
    overdue = sorted((s for s in open_now if s.overdue(now)), key=lambda s: s.due_by())
    overdue_table = Table(
        "overdue",
        "Overdue (unresolved 30 days after the incident, no exception)",
        ("sli", "office", "region", "incident", "days since incident"),
        tuple(
            (
                s.name,
                s.office,
                s.region,
                (s.incident_at or s.opened_at).date().isoformat(),
                (now - (s.incident_at or s.opened_at)).days,
            )
            for s in overdue
        ),
    )
    volume_rows = []
    for dimension in ("referral_account", "client", "office"):
        counts = Counter(str(getattr(s, dimension)) for s in opened(window))
        for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
            volume_rows.append((dimension.replace("_", " "), name, count))
    volume = Table("volume", "Volume in the period", ("by", "name", "opened"), tuple(volume_rows))
    return Report(
        kind="sli",
        title="Service Level Interventions" + "".join(f" · {f}" for f in (region, office) if f),
        period=window.label,
        generated_at=now,
        tables=(summary, by_group, colours, overdue_table, volume),
        charts=(colours_by_region(open_now),),
    )


def colours_by_region(open_slis: Sequence[Sli]) -> Chart:
    regions = tuple(sorted({s.region for s in open_slis}))
    return Chart(
        "sli_colours_by_region",
        "Open SLIs by region and client colour",
        regions,
        tuple(
            Series(
                colour,
                tuple(
                    float(sum(s.region == r and _colour(s.client_status) == colour for s in open_slis))
                    for r in regions
                ),
            )
            for colour in COLOURS
        ),
        x_label="region",
        y_label="open SLIs",
    )
