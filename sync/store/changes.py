"""The record change log: what each sighting of a record changed, as ``{field path: [old, new]}``.

One row per first sighting and per sighting whose snapshot differs from the stored one (never a row
per field). Nested mappings (lookups, relations) are flattened to dotted paths, lists are compared
whole, and long values are truncated: the log says what changed, the snapshot keeps the full record.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sync.store.tables import RecordChange

FIRST_SEEN, CHANGED = "first_seen", "changed"
MAX_VALUE = 200  # characters kept of a changed value


def flatten(value: Mapping[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    """The leaves of nested mappings by dotted path (a list or a scalar is a leaf)."""
    leaves: dict[str, Any] = {}
    for key, item in (value or {}).items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping):
            leaves.update(flatten(item, f"{path}."))
        else:
            leaves[path] = item
    return leaves


def clip(value: Any) -> Any:
    """A value as the log keeps it: JSON scalars as they are, long texts and lists truncated."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """The changed leaf paths of two snapshots, ``{path: [old, new]}`` (an absent leaf reads as null)."""
    before, after = flatten(old), flatten(new)
    return {
        path: [clip(before.get(path)), clip(after.get(path))]
        for path in sorted(before.keys() | after.keys())
        if before.get(path) != after.get(path)
    }


def change_row(key: str, seen_at: datetime, old: Any, new: Any, first: bool) -> RecordChange | None:
    """The log row for one sighting: the first one, or one that changed something (else ``None``)."""
    if first:
        return RecordChange(record_key=key, seen_at=seen_at, kind=FIRST_SEEN, changes=None)
    changes = diff(old if isinstance(old, Mapping) else None, new if isinstance(new, Mapping) else None)
    return RecordChange(record_key=key, seen_at=seen_at, kind=CHANGED, changes=changes) if changes else None
