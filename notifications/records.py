"""Reading a record (a plain dict, as an adapter hands it over) by dotted field path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def lookup(record: Mapping[str, Any] | None, path: str) -> Any:
    """The value at a dotted field path, case-insensitively; ``None`` when any step is missing."""
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        if part in current:
            current = current[part]
            continue
        lowered = part.lower()
        current = next((v for k, v in current.items() if isinstance(k, str) and k.lower() == lowered), None)
    return current
