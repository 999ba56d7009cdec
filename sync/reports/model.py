"""What a report is, apart from how it is shown: titled tables of plain values and chart data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True)
class Table:
    """One section of a report: ``name`` is its key in JSON and CSV, ``title`` what a reader sees."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float | None, ...]
    style: Literal["bar", "line", "points"] = "bar"


@dataclass(frozen=True)
class Chart:
    """Data for one chart: categories along x, one or more series (stacked when bars)."""

    name: str
    title: str
    x: tuple[str, ...]
    series: tuple[Series, ...]
    x_label: str = ""
    y_label: str = ""


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    period: str
    generated_at: datetime
    tables: tuple[Table, ...]
    charts: tuple[Chart, ...] = field(default=())

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "period": self.period,
            "generated_at": self.generated_at.isoformat(),
            "tables": {t.name: t.dicts() for t in self.tables},
        }


def hours(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds() / 3600, 1)


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return round(ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2, 1)


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None
