"""The parsed form of a SOQL query (names as written, not yet checked against a schema)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RELATIVE_DATES = frozenset(
    {
        "TODAY",
        "YESTERDAY",
        "TOMORROW",
        "THIS_WEEK",
        "LAST_WEEK",
        "NEXT_WEEK",
        "THIS_MONTH",
        "LAST_MONTH",
        "NEXT_MONTH",
    }
)
RELATIVE_DATES_N = frozenset({"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"})


@dataclass(frozen=True)
class Path:
    """A field or a child-to-parent path such as ``Owner.Manager.Email``."""

    parts: tuple[str, ...]
    offset: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Literal:
    """``kind``: string, number, boolean, null, date, datetime or relative (value = (keyword, n))."""

    kind: str
    value: Any
    offset: int


@dataclass(frozen=True)
class Comparison:
    """``op``: = != < <= > >= LIKE IN NOT IN; ``value`` is a tuple for IN / NOT IN."""

    path: Path
    op: str
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND | OR
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Comparison | BoolOp | Not


@dataclass(frozen=True)
class OrderItem:
    path: Path
    descending: bool = False
    nulls_last: bool = False


@dataclass(frozen=True)
class Query:
    fields: tuple[Path, ...]
    count: bool
    sobject: str
    sobject_offset: int
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
