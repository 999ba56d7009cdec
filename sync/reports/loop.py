"""``crm-sync report loop``: closing the loop with NPS detractors.

For each detractor (a score of 0-6): hours from the response to its ticket, to the first call logged on
the ticket, and to the ticket's close, with the share inside 24 and 48 hours (closed-loop programmes aim
at 80% of detractors followed up within 48 hours), and the detractor tickets still open by owner or
company. When the ticket appeared and when a call was first counted come from the record's change
history; the close time is the ticket's ``closed_date``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from rules.expressions import to_datetime, to_int
from sync.reports.history import RecordHistory, State
from sync.reports.model import Chart, Report, Series, Table, hours, median, share
from sync.reports.window import Window

GroupBy = Literal["owner", "company"]
FOLLOW_UP_TARGET = timedelta(hours=48)
BUCKETS = (("0-24 h", 24), ("24-48 h", 48), ("48-72 h", 72), ("3-7 days", 168), ("over 7 days", None))


def has_ticket(state: State) -> bool:
    return state.get("ticket.id") not in (None, "")


def has_call(state: State) -> bool:
    return (to_int(state.get("ticket.calls_logged")) or 0) > 0


def has_closed(state: State) -> bool:
    return state.get("ticket.closed_date") not in (None, "")


@dataclass(frozen=True)
class Detractor:
    name: str
    score: int
    responded_at: datetime
    ticket_at: datetime | None
    called_at: datetime | None
    closed_at: datetime | None
    owner: str
    company: str

    @classmethod
    def of(cls, history: RecordHistory, ticket: TicketMade | None = None) -> Detractor | None:
        """``ticket``: the detractor ticket crm-sync made for it, as its ledger knows it (the response
        is not re-read when its ticket is created, so its snapshot may not show the ticket yet)."""
        score = to_int(history.get("hs_value"))
        if score is None or not 0 <= score <= 6 or history.get("hs_survey_type") not in (None, "NPS"):
            return None
        responded = to_datetime(history.get("hs_submission_timestamp")) or history.first_seen
        names = [history.get("contact.firstname"), history.get("contact.lastname")]
        closed = to_datetime(history.get("ticket.closed_date"))
        seen = history.became(has_ticket)
        made = ticket.at if ticket is not None else None
        owner = history.get("ticket.owner.email") or history.get("ticket.owner.firstName")
        return cls(
            name=" ".join(str(n) for n in names if n) or history.record_id,
            score=score,
            responded_at=responded,
            ticket_at=min((t for t in (seen, made) if t is not None), default=None),
            called_at=history.became(has_call),
            closed_at=closed if closed is not None else history.became(has_closed),
            owner=str(owner or (ticket.owner if ticket is not None else None) or "(no owner)"),
            company=str(history.get("company.name") or "(no company)"),
        )

    def group(self, by: GroupBy) -> str:
        return self.owner if by == "owner" else self.company

    def follow_up_hours(self) -> float | None:
        return hours(self.called_at, self.responded_at)


@dataclass(frozen=True)
class TicketMade:
    """A detractor ticket crm-sync created: when it was delivered and the owner it was given."""

    at: datetime
    owner: str | None = None


def detractors(
    histories: Iterable[RecordHistory], tickets: Mapping[str, TicketMade] | None = None
) -> list[Detractor]:
    """The detractors among the responses; ``tickets`` by record key (from the ledger)."""
    made = tickets or {}
    return [d for h in histories if (d := Detractor.of(h, made.get(h.key))) is not None]


def within(items: list[Detractor], reached: str, limit: timedelta, now: datetime) -> tuple[int, int]:
    """(reached within ``limit``, decided): undecided ones (not reached, limit not yet passed) are left out."""
    met = decided = 0
    for d in items:
        at: datetime | None = getattr(d, reached)
        if at is not None and at - d.responded_at <= limit:
            met += 1
            decided += 1
        elif at is not None or now - d.responded_at > limit:
            decided += 1
    return met, decided


def loop_report(
    histories: Iterable[RecordHistory],
    window: Window,
    now: datetime,
    *,
    by: GroupBy = "owner",
    tickets: Mapping[str, TicketMade] | None = None,
) -> Report:
    everyone = detractors(histories, tickets)
    items = [d for d in everyone if window.holds(d.responded_at)]
    steps = (("ticket", "ticket_at"), ("first call", "called_at"), ("close", "closed_at"))
    rows = []
    for label, attribute in steps:
        durations = [h for d in items if (h := hours(getattr(d, attribute), d.responded_at)) is not None]
        in24 = within(items, attribute, timedelta(hours=24), now)
        in48 = within(items, attribute, FOLLOW_UP_TARGET, now)
        rows.append(
            (
                f"response to {label}",
                len(items),
                len(durations),
                median(durations),
                share(*in24),
                share(*in48),
            )
        )
    summary = Table(
        "summary",
        f"Detractors who responded in {window.label}",
        ("step", "detractors", "reached", "median hours", "within 24 h (%)", "within 48 h (%)"),
        tuple(rows),
    )
    grouped: dict[str, list[Detractor]] = defaultdict(list)
    for d in items:
        grouped[d.group(by)].append(d)
    by_group = Table(
        "by_group",
        f"Follow-up by {by}",
        (by, "detractors", "called within 48 h", "within 48 h (%)"),
        tuple(
            (g, len(ds), (m := within(ds, "called_at", FOLLOW_UP_TARGET, now))[0], share(*m))
            for g, ds in sorted(grouped.items())
        ),
    )
    open_tickets: dict[str, list[Detractor]] = defaultdict(list)
    for d in everyone:  # open now, whenever they responded
        if d.ticket_at is not None and d.closed_at is None:
            open_tickets[d.group(by)].append(d)
    open_table = Table(
        "open_tickets",
        f"Open detractor tickets by {by}",
        (by, "open", "without a call", "oldest (days)"),
        tuple(
            (g, len(ds), sum(d.called_at is None for d in ds), max((now - d.responded_at).days for d in ds))
            for g, ds in sorted(open_tickets.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ),
    )
    return Report(
        kind="loop",
        title="Closing the loop with NPS detractors",
        period=window.label,
        generated_at=now,
        tables=(summary, by_group, open_table),
        charts=(follow_up_distribution(items),),
    )


def follow_up_distribution(items: list[Detractor]) -> Chart:
    counts = [0.0] * len(BUCKETS)
    for d in items:
        h = d.follow_up_hours()
        if h is None:
            continue
        index = next(i for i, (_, top) in enumerate(BUCKETS) if top is None or h <= top)
        counts[index] += 1
    return Chart(
        "time_to_follow_up",
        "Time from a detractor's response to the first call",
        tuple(label for label, _ in BUCKETS),
        (Series("detractors", tuple(counts)),),
        x_label="hours to the first call",
        y_label="detractors",
    )
