"""What a poll just handed over: each record's contact, company and ticket ids, for delivery in the same
cycle to use instead of reading the records again.

A record the stream's latest poll handed over (less than ``fresh_for`` ago) is taken as existing, with
the links it had then; any other (a retry from an earlier cycle) is read as delivery always did
(:class:`.context.RecordContext`). A new poll of the stream forgets what the last one saw. The window is
the race a re-read had too: a record deleted between the poll and the write gets its write either way.
Bounded: at most ``capacity`` records a stream, the oldest forgotten first, so memory stays flat.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .context import Anchors, Known
from .pacing import Monotonic
from .shape import RecordShape

FRESH_FOR_S = 3600.0  # a long delivery (a burst's thousands of sends) still uses what its poll read
CAPACITY = 20_000


class SeenRecords:
    """The links of recently polled records, by stream and record id."""

    def __init__(
        self, monotonic: Monotonic, fresh_for_s: float = FRESH_FOR_S, capacity: int = CAPACITY
    ) -> None:
        self.monotonic = monotonic
        self.fresh_for_s = fresh_for_s
        self.capacity = capacity
        self._streams: dict[str, OrderedDict[str, tuple[float, dict[str, str | None]]]] = {}

    def forget(self, stream: str) -> None:
        """A new poll of ``stream`` begins: what the last one saw is no longer current."""
        self._streams.pop(stream, None)

    def remember(
        self,
        stream: str,
        anchors: Anchors | None,
        shape: RecordShape,
        records: Iterable[Mapping[str, Any]],
        deleted_ids: Sequence[str] = (),
    ) -> None:
        """Note the links of records just read (only when the read resolved every link delivery uses)."""
        seen = self._streams.setdefault(stream, OrderedDict())
        for record_id in deleted_ids:
            seen.pop(str(record_id), None)
        if anchors is None or not all(name in shape.links for name in anchors.links.values()):
            return
        now = self.monotonic()
        for record in records:
            record_id = str(record["id"])
            seen.pop(record_id, None)
            seen[record_id] = (now, {kind: _id_at(record, name) for kind, name in anchors.links.items()})
        while len(seen) > self.capacity:
            seen.popitem(last=False)

    def fresh(self, stream: str, ids: Iterable[str]) -> Known:
        """``{record id: {object type: id or None}}`` of these records, if seen recently."""
        seen = self._streams.get(stream) or OrderedDict()
        oldest = self.monotonic() - self.fresh_for_s
        found: Known = {}
        for record_id in ids:
            entry = seen.get(record_id)
            if entry is not None and entry[0] >= oldest:
                found[record_id] = entry[1]
        return found


def _id_at(record: Mapping[str, Any], path: str) -> str | None:
    """The id of the object placed at a relation path of a record, or ``None``."""
    current: Any = record
    for part in path.split("."):
        current = current.get(part) if isinstance(current, Mapping) else None
    return str(current["id"]) if isinstance(current, Mapping) and current.get("id") is not None else None
