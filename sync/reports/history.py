"""A tracked record with the changes the store saw, replayable as states over time.

The store keeps the newest snapshot and, per sighting, the changed leaf paths as ``{path: [old, new]}``
(:mod:`sync.store.changes`). Undoing those changes from the newest snapshot backwards gives every state
the record was seen in, so a report can tell *when* a field changed (a plan filled, a status turned
Green) without another CRM call. Values longer than the log keeps are truncated in older states; the
fields reports read (statuses, ids, counts, dates) are short.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.store.changes import flatten

State = Mapping[str, Any]
"""A record's leaves by dotted path (``Office__r.Name``), as one sighting saw them."""


@dataclass(frozen=True)
class Change:
    """One sighting that changed something: when it was seen and ``{path: [old, new]}``."""

    seen_at: datetime
    fields: Mapping[str, tuple[Any, Any]]


@dataclass(frozen=True)
class RecordHistory:
    """A record's newest snapshot and the changes seen since it was first seen (oldest first)."""

    key: str
    record_id: str
    snapshot: Mapping[str, Any]
    first_seen: datetime
    last_seen: datetime
    changes: tuple[Change, ...] = ()
    deleted_at: datetime | None = None
    _flat: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def current(self) -> State:
        """The newest state, flattened."""
        if not self._flat:
            self._flat.update(flatten(self.snapshot))
        return self._flat

    def get(self, path: str) -> Any:
        """A leaf of the newest snapshot by dotted path (case-insensitive, like the rules read it)."""
        state = self.current
        if path in state:
            return state[path]
        lowered = path.lower()
        return next((v for k, v in state.items() if k.lower() == lowered), None)

    def states(self) -> Iterator[tuple[datetime, State]]:
        """Every state the record was seen in, oldest first, with when it was first seen so."""
        state = dict(self.current)
        backwards: list[tuple[datetime, State]] = []
        for change in reversed(self.changes):
            backwards.append((change.seen_at, dict(state)))
            for path, (old, _new) in change.fields.items():
                state[path] = old
        backwards.append((self.first_seen, state))
        return reversed(backwards)

    def became(self, test: Callable[[State], bool]) -> datetime | None:
        """When the record last started to pass ``test`` (None when it does not pass it now)."""
        since = None
        for seen_at, state in self.states():
            since = (since or seen_at) if test(state) else None
        return since


def history_from_rows(
    key: str,
    record_id: str,
    snapshot: Mapping[str, Any] | None,
    first_seen: datetime,
    last_seen: datetime,
    deleted_at: datetime | None,
    changes: Sequence[tuple[datetime, Mapping[str, Any] | None]],
) -> RecordHistory:
    """A :class:`RecordHistory` from store rows (change rows with no fields, first sightings, are skipped)."""
    parsed = tuple(
        Change(seen_at, {path: (pair[0], pair[1]) for path, pair in fields.items()})
        for seen_at, fields in sorted(changes, key=lambda c: c[0])
        if fields
    )
    return RecordHistory(key, record_id, snapshot or {}, first_seen, last_seen, parsed, deleted_at)
