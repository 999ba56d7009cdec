"""Runs a bound query over records: filter, sort, offset/limit, and shape rows as the REST API does."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from ..schema import POLYMORPHIC_OBJECT, FieldDef, ObjectDef
from ..values import TEXT_TYPES, format_datetime, record_url
from .binder import BoundBool, BoundComparison, BoundCondition, BoundNot, BoundPath, BoundQuery, Relative

Record = dict[str, Any]


class RecordSource(Protocol):
    def find(self, record_id: str) -> tuple[ObjectDef, Record] | None: ...


def relative_range(literal: Relative, today: date) -> tuple[date, date]:
    """The [start, end) days a relative date literal covers (weeks start on Sunday, UTC days)."""
    n = literal.n
    week = today - timedelta(days=(today.weekday() + 1) % 7)
    month = today.replace(day=1)
    next_month = month + timedelta(days=calendar.monthrange(month.year, month.month)[1])
    previous_month = (month - timedelta(days=1)).replace(day=1)
    ranges = {
        "TODAY": (today, today + timedelta(days=1)),
        "YESTERDAY": (today - timedelta(days=1), today),
        "TOMORROW": (today + timedelta(days=1), today + timedelta(days=2)),
        "THIS_WEEK": (week, week + timedelta(days=7)),
        "LAST_WEEK": (week - timedelta(days=7), week),
        "NEXT_WEEK": (week + timedelta(days=7), week + timedelta(days=14)),
        "THIS_MONTH": (month, next_month),
        "LAST_MONTH": (previous_month, month),
        "NEXT_MONTH": (next_month, (next_month + timedelta(days=32)).replace(day=1)),
        "LAST_N_DAYS": (today - timedelta(days=n), today + timedelta(days=1)),
        "NEXT_N_DAYS": (today + timedelta(days=1), today + timedelta(days=1 + n)),
        "N_DAYS_AGO": (today - timedelta(days=n), today - timedelta(days=n - 1)),
    }
    return ranges[literal.keyword]


def like_regex(pattern: str) -> re.Pattern[str]:
    """SOQL LIKE: ``%`` any run, ``_`` one character, ``\\%``/``\\_`` literal; case-insensitive."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _eq_key(field: FieldDef, value: Any) -> Any:
    return value.casefold() if field.type in TEXT_TYPES and isinstance(value, str) else value


def _order_key(field: FieldDef, value: Any) -> Any:
    return value.upper() if field.type in TEXT_TYPES and isinstance(value, str) else value


class Evaluator:
    """Evaluates bound queries against records, following lookups through ``source``."""

    def __init__(self, source: RecordSource, now: datetime) -> None:
        self.source = source
        self.today = now.astimezone(UTC).date()

    def run(self, query: BoundQuery, rows: Iterable[Record]) -> list[Record]:
        """Matching records, ordered, with OFFSET and LIMIT applied."""
        selected = [r for r in rows if query.where is None or self.matches(query.where, r)]
        for item in reversed(query.order_by):
            nulls_rank = 2 if item.nulls_last != item.descending else 0
            field = item.path.field

            def key(
                row: Record, path: BoundPath = item.path, rank: int = nulls_rank, f: FieldDef = field
            ) -> tuple[int, Any]:
                value = self.value(row, path)
                return (rank, 0) if value is None else (1, _order_key(f, value))

            selected.sort(key=key, reverse=item.descending)
        start = query.offset or 0
        end = None if query.limit is None else start + query.limit
        return selected[start:end]

    def parent(self, record: Record | None, step: FieldDef, target: ObjectDef) -> Record | None:
        """The record a lookup points at (a ``Name`` view for polymorphic lookups), or None."""
        ref = record.get(step.name) if record is not None else None
        found = self.source.find(ref) if ref else None
        if found is None or found[1]["IsDeleted"]:
            return None
        obj, parent = found
        if target.name == POLYMORPHIC_OBJECT:
            return {"Id": parent["Id"], "Name": parent.get("Name"), "Type": obj.name, "_type": obj.name}
        return parent

    def value(self, record: Record, path: BoundPath) -> Any:
        current: Record | None = record
        for step, target in zip(path.steps, path.objects, strict=True):
            current = self.parent(current, step, target)
        return current.get(path.field.name) if current is not None else None

    def matches(self, cond: BoundCondition, record: Record) -> bool:
        if isinstance(cond, BoundBool):
            results = (self.matches(c, record) for c in cond.items)
            return all(results) if cond.op == "AND" else any(results)
        if isinstance(cond, BoundNot):
            return not self.matches(cond.item, record)
        return self.compare(cond, self.value(record, cond.path))

    def compare(self, cond: BoundComparison, actual: Any) -> bool:
        field, op, expected = cond.path.field, cond.op, cond.value
        if isinstance(expected, Relative):
            return actual is not None and self._in_range(field, op, actual, expected)
        if op == "LIKE":
            return actual is not None and like_regex(expected).fullmatch(str(actual)) is not None
        if op in ("IN", "NOT IN"):
            keys = {_eq_key(field, v) for v in expected}
            found = _eq_key(field, actual) in keys
            return found if op == "IN" else not found
        if op == "=":
            return _eq_key(field, actual) == _eq_key(field, expected)
        if op == "!=":
            return _eq_key(field, actual) != _eq_key(field, expected)
        if actual is None or expected is None:
            return False
        left, right = _order_key(field, actual), _order_key(field, expected)
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]

    def _in_range(self, field: FieldDef, op: str, actual: Any, literal: Relative) -> bool:
        start_day, end_day = relative_range(literal, self.today)
        if field.type == "date":
            start, end = start_day.isoformat(), end_day.isoformat()
        else:
            start = format_datetime(datetime.combine(start_day, datetime.min.time(), UTC))
            end = format_datetime(datetime.combine(end_day, datetime.min.time(), UTC))
        inside = start <= actual < end
        return {
            "=": inside,
            "!=": not inside,
            "<": actual < start,
            "<=": actual < end,
            ">": actual >= end,
            ">=": actual >= start,
        }[op]

    def shape(self, query: BoundQuery, record: Record, version: str) -> Record:
        """One result row: ``attributes`` then the selected fields, lookups nested (null when empty)."""
        row: Record = {
            "attributes": {"type": query.obj.name, "url": record_url(version, query.obj.name, record["Id"])}
        }
        for path in query.fields:
            target, current = row, record
            for step, obj in zip(path.steps, path.objects, strict=True):
                name = str(step.relationship_name)
                parent = self.parent(current, step, obj)
                if parent is None:
                    target[name] = None
                    break
                if name not in target:
                    actual = parent.get("_type", obj.name)
                    target[name] = {
                        "attributes": {"type": obj.name, "url": record_url(version, actual, parent["Id"])}
                    }
                target, current = target[name], parent
            else:
                target[path.field.name] = current.get(path.field.name)
        return row
