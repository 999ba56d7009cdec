"""One scenario's measurements, as a scenario process reports them (JSON) and the table reads them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.endpoints import SENDS
from bench.minimum import StreamWork, Work, long_text_fields
from rules.model import RuleSet, Stream


@dataclass
class Result:
    """What one scenario measured on one database (``db`` is ``-`` where none is involved)."""

    scenario: str
    db: str
    scale: int
    calls: list[tuple[str, str, int, int]] = field(default_factory=list)  # crm, endpoint, calls, minimum
    cpu_s: float | None = None
    baseline_cpu_s: float | None = None  # an empty cycle's, for the idle scenarios
    rss_mb: float | None = None
    statements: int | None = None
    ingest_statements: int | None = None
    pages: int | None = None
    records: int | None = None
    evals_per_s: float | None = None
    actions: int | None = None
    wall_s: float | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        values = dict(data)
        values["calls"] = [tuple(row) for row in values.get("calls", [])]
        return cls(**values)

    def total(self, sends: bool = False) -> tuple[int, int]:
        """``(calls, minimum)`` over every endpoint, one-per-email sends left out unless ``sends``."""
        rows = [r for r in self.calls if sends or r[1] not in SENDS]
        return sum(r[2] for r in rows), sum(r[3] for r in rows)

    @property
    def stmts_per_record(self) -> float | None:
        if self.ingest_statements is None or not self.records:
            return None
        return self.ingest_statements / self.records

    @property
    def stmts_per_page(self) -> float | None:
        if self.ingest_statements is None or not self.pages:
            return None
        return self.ingest_statements / self.pages


def call_rows(
    calls: Mapping[tuple[str, str], int], need: Mapping[tuple[str, str], int]
) -> list[tuple[str, str, int, int]]:
    """Calls made and the minimum, per ``(crm, endpoint)`` in either."""
    keys = sorted(set(calls) | set(need))
    return [
        (crm, label, int(calls.get((crm, label), 0)), int(need.get((crm, label), 0))) for crm, label in keys
    ]


def work_of(
    ruleset: RuleSet,
    changed: Mapping[str, Mapping[str, int]],
    actions: Counter[tuple[str, str]],
    fresh_session: bool,
    sends_to_confirm: int = 0,
) -> Work:
    """The work of one cycle: each active stream polled once, ``changed`` records (as seeded) in its
    window, and the actions handed to the CRMs."""
    streams = []
    for stream in ruleset.active_streams:
        counts = changed.get(stream.name, {})
        streams.append(
            StreamWork(
                crm=stream.crm,
                changed=counts.get("changed", 0),
                contacts=counts.get("contacts", 0),
                companies=counts.get("companies", 0),
                counts_calls=any(getattr(r, "count", None) == "calls" for r in _relations(stream)),
                long_text_fields=long_text_fields(stream.object, stream.fields)
                if stream.crm == "salesforce"
                else 0,
            )
        )
    return Work(
        streams=streams, actions=actions, fresh_session=fresh_session, sends_to_confirm=sends_to_confirm
    )


def _relations(stream: Stream) -> list[Any]:
    """A HubSpot stream's configured relations (none for other CRMs)."""
    relations = getattr(stream.settings, "relations", None) or {}
    return list(relations.values())
