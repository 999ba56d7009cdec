"""Records whose counts changed: objects of a counted type (calls) modified since the last poll re-emit
the records whose count includes them (``ticket.calls_logged``), so a logged call shows at once.

From the changed objects back to the records, associations are followed in reverse (one batch read per
1,000 ids a step); the records found are read and enriched again, and only those whose counted relation
is associated with a changed object are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rules.model import lookup

from .api import HubSpotApi
from .enrich import Enricher
from .shape import Count, RecordShape
from .where import Condition


def _counted_in(record: dict[str, Any], count: Count) -> str | None:
    """The id of the object (or record) the count is about, in an enriched record."""
    found = lookup(record, f"{count.source}.id" if count.source else "id")
    return str(found) if found is not None else None


class Recounter:
    """Enriched records of a stream whose counts of ``object_type`` the changed objects touch."""

    def __init__(self, api: HubSpotApi, enricher: Enricher) -> None:
        self.api = api
        self.enricher = enricher

    def records(
        self, shape: RecordShape, object_type: str, changed: Sequence[str], conditions: Sequence[Condition]
    ) -> list[dict[str, Any]]:
        counts = [count for count in shape.counts if count.object == object_type]
        touched: dict[str, set[str]] = {}
        candidates: set[str] = set()
        for count in counts:
            touched[count.name] = self._associated(object_type, shape.object_of(count.source), changed)
            candidates |= self._records_of(shape, count.source, touched[count.name])
        found = self.api.read(shape.object, candidates, shape.properties)
        wanted = [
            found[rid]
            for rid in sorted(found, key=int)
            if all(c.matches(found[rid]["properties"]) for c in conditions)
        ]
        records = self.enricher.records(wanted, shape) if wanted else []
        return [r for r in records if any(_counted_in(r, c) in touched[c.name] for c in counts)]

    def _associated(self, from_type: str, to_type: str, ids: Iterable[str]) -> set[str]:
        linked = self.api.associations(from_type, to_type, ids)
        return {str(t["toObjectId"]) for targets in linked.values() for t in targets}

    def _records_of(self, shape: RecordShape, relation: str | None, ids: set[str]) -> set[str]:
        """The records whose ``relation`` may be one of ``ids`` (its associations followed back)."""
        for link in reversed(shape.chain(relation)):
            ids = self._associated(link.object, shape.object_of(link.source), ids) if ids else set()
        return ids
