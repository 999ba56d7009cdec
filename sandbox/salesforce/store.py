"""In-memory record tables with id allocation and an undo journal for all-or-none batches."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .ids import make_id, normalize
from .schema import ObjectDef, Schema

Record = dict[str, Any]


class RecordStore:
    """Records by object name and id (deleted ones kept with ``IsDeleted``), plus id counters."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.tables: dict[str, dict[str, Record]] = {o.name: {} for o in schema.objects}
        self.counters: dict[str, int] = {}
        self._journal: list[tuple[str, str, Record | None]] | None = None

    def new_id(self, obj: ObjectDef) -> str:
        number = self.counters.get(obj.name, 0) + 1
        self.counters[obj.name] = number
        return make_id(obj.key_prefix, number)

    def find(self, record_id: str) -> tuple[ObjectDef, Record] | None:
        """The object and stored record (deleted or not) for any 15/18-char id."""
        full = normalize(record_id)
        obj = self.schema.for_id(full) if full else None
        if obj is None or full is None:
            return None
        record = self.tables[obj.name].get(full)
        return (obj, record) if record is not None else None

    def rows(self, obj: ObjectDef, include_deleted: bool = False) -> list[Record]:
        """Records in insertion order."""
        return [r for r in self.tables[obj.name].values() if include_deleted or not r["IsDeleted"]]

    def put(self, obj: ObjectDef, record: Record) -> None:
        table = self.tables[obj.name]
        if self._journal is not None:
            previous = table.get(record["Id"])
            self._journal.append((obj.name, record["Id"], copy.deepcopy(previous)))
        table[record["Id"]] = record

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Record every ``put`` so ``rollback`` can undo them; nested use is not supported."""
        self._journal = []
        try:
            yield
        finally:
            self._journal = None

    def rollback(self) -> None:
        """Undo every ``put`` of the current transaction."""
        assert self._journal is not None, "rollback outside a transaction"
        for name, record_id, previous in reversed(self._journal):
            if previous is None:
                self.tables[name].pop(record_id, None)
            else:
                self.tables[name][record_id] = previous
        self._journal.clear()

    def to_state(self) -> dict[str, Any]:
        return {"tables": copy.deepcopy(self.tables), "counters": dict(self.counters)}

    def load_state(self, state: dict[str, Any]) -> None:
        self.tables = {o.name: {} for o in self.schema.objects}
        for name, table in state["tables"].items():
            self.tables[name] = copy.deepcopy(table)
        self.counters = dict(state["counters"])
