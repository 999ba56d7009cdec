"""Polling a stream's object, and re-emitting records whose counts changed.

Cursor (JSON): ``{"modified": ISO, TYPE: ISO, ..., "polled": ISO}``. ``modified`` is the newest
modification time emitted; ``polled`` the time the last finished poll started. The search index lags
behind writes, so a poll searches from ``overlap`` before the last finished poll started (records
indexed late carry an older time), or, when a poll was cut short, from ``overlap`` before the newest
record it emitted. Either way an idle poll after a burst reads the overlap window only, never the
burst again; records read twice are absorbed by the engine (an unchanged snapshot changes nothing).
Pages are in ascending modification order, so a crash between pages resumes from the last committed
page. Each type a count counts (``calls``) has its own entry, scanned the same way: a call logged on a
ticket re-emits the records whose ``ticket.calls_logged`` includes it (see :mod:`.recount`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rules.model import Stream
from sync.connectors.base import ConnectorError, Page, StoredSnapshots

from .api import HubSpotApi
from .enrich import Enricher
from .lookups import Lookups
from .recount import Recounter
from .shape import RecordShape, modified_property
from .times import EPOCH, epoch_ms, instant, iso
from .where import parse_where

PAGE_SIZE = 200  # the search API's maximum
SEARCH_CAP = 10_000  # a search query pages through at most this many results
ENRICH_GROUP = 1_000  # objects enriched (and handed over) together: an association read's maximum


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


_ABSENT = object()


def _modified(snapshot: Mapping[str, Any] | None, name: str) -> Any:
    """A stored snapshot's modification time (``_ABSENT`` when nothing is stored)."""
    return _ABSENT if snapshot is None else snapshot.get(name, _ABSENT)


@dataclass
class Cursor:
    """Where a stream's polling resumes: its records, and each counted type."""

    modified: datetime | None = None
    counted: dict[str, datetime] = field(default_factory=dict)
    polled: datetime | None = None  # when the last finished poll started

    @classmethod
    def load(cls, raw: Any, counted: Sequence[str]) -> Cursor:
        if not isinstance(raw, dict):
            return cls()
        modified = instant(raw["modified"]) if raw.get("modified") else None
        polled = instant(raw["polled"]) if raw.get("polled") else None
        return cls(modified, {name: instant(raw[name]) for name in counted if raw.get(name)}, polled)

    def dump(self) -> dict[str, str | None]:
        return (
            {"modified": iso(self.modified) if self.modified else None}
            | {name: iso(moment) for name, moment in self.counted.items()}
            | ({"polled": iso(self.polled)} if self.polled else {})
        )

    def start(self, newest: datetime | None, overlap: timedelta) -> datetime | None:
        """Where a scan resumes: ``overlap`` before the last finished poll began, else before ``newest``."""
        if self.polled is not None:
            return self.polled - overlap
        return newest - overlap if newest is not None else None


class Poller:
    """Pages of enriched records after a cursor."""

    def __init__(
        self,
        api: HubSpotApi,
        lookups: Lookups,
        overlap: timedelta,
        now: Callable[[], datetime],
        page_size: int = PAGE_SIZE,
        search_cap: int = SEARCH_CAP,
        group_size: int = ENRICH_GROUP,
    ) -> None:
        self.api = api
        self.enricher = Enricher(api, lookups.owners)
        self.recounter = Recounter(api, self.enricher)
        self.overlap = overlap
        self.now = now
        self.page_size = page_size
        self.search_cap = search_cap
        self.group_size = group_size
        self._first_answer: datetime | None = None  # HubSpot's ``Date`` on this poll's first answer

    def poll(self, stream: Stream, raw_cursor: Any, stored: StoredSnapshots | None = None) -> Iterator[Page]:
        shape, conditions = RecordShape.of(stream), parse_where(stream.where)
        counted = list(dict.fromkeys(count.object for count in shape.counts))
        cursor = Cursor.load(raw_cursor, counted)
        started = self.now()
        self._first_answer = None
        for name in counted:
            # Counts are read with every record, so only changes after the first poll need re-emitting.
            cursor.counted.setdefault(name, started)
        since = cursor.start(cursor.modified, self.overlap) or stream.since or EPOCH
        resumed = {name: cursor.start(cursor.counted[name], self.overlap) for name in counted}
        cursor.polled = None  # until this poll finishes, a crash resumes from the last page's records
        filters = [c.search_filter() for c in conditions]
        for batch in self._grouped(self._scan(shape.object, since, filters, shape.properties)):
            cursor.modified = _later(cursor.modified, instant(batch[-1]["properties"][shape.modified]))
            fresh = self._not_stored(batch, shape, stored)
            yield Page(records=self.enricher.records(fresh, shape) if fresh else [], cursor=cursor.dump())
        for name in counted:
            for batch in self._scan(name, resumed[name] or started, [], []):
                latest = instant(batch[-1]["properties"][modified_property(name)])
                cursor.counted[name] = _later(cursor.counted[name], latest)
                records = self.recounter.records(shape, name, [c["id"] for c in batch], conditions)
                yield Page(records=records, cursor=cursor.dump())
        # Finished: the next poll starts an overlap before this one began, on HubSpot's clock (the
        # ``Date`` of this poll's first answer) when it gave one, so a worker clock that drifts or a
        # portal clock that moves cannot open a gap or re-read a burst.
        cursor.polled = self._first_answer or started
        yield Page(cursor=cursor.dump())

    def _grouped(self, pages: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
        """Search pages (200) joined into groups of ``group_size`` objects or more (a page is never
        split), so each relation costs one association read per 1,000 records, the most one call takes."""
        group: list[dict[str, Any]] = []
        for page in pages:
            group.extend(page)
            if len(group) >= self.group_size:
                yield group
                group = []
        if group:
            yield group

    @staticmethod
    def _not_stored(
        batch: list[dict[str, Any]], shape: RecordShape, stored: StoredSnapshots | None
    ) -> list[dict[str, Any]]:
        """The objects of ``batch`` not already stored at this modification time: the overlap re-reads
        records it handed over before, and enriching those again would cost calls for nothing (a
        change to a related object alone does not re-emit a record outside the overlap either)."""
        if stored is None:
            return batch
        snapshots = stored([str(item["id"]) for item in batch])
        return [
            item
            for item in batch
            if _modified(snapshots.get(str(item["id"])), shape.modified)
            != item["properties"].get(shape.modified)
        ]

    def reread(self, stream: Stream, ids: Sequence[str]) -> Page:
        """The current version of these records, enriched, in batch reads; gone ones are deleted."""
        shape = RecordShape.of(stream)
        found = self.api.read(shape.object, ids, shape.properties)
        present = [found[rid] for rid in sorted(found, key=int)]
        records = self.enricher.records(present, shape) if present else []
        return Page(records=records, deleted_ids=sorted(set(ids) - set(found)))

    def _scan(
        self, object_type: str, since: datetime, filters: list[dict[str, str]], properties: Sequence[str]
    ) -> Iterator[list[dict[str, Any]]]:
        """Objects modified at or after ``since`` in pages, ascending (ties by id). Stops only when
        ``paging.next`` is absent. Each next page is a new query from the last timestamp seen (skipping
        the records at that timestamp it already gave), so the 10,000-result cap is never reached and
        records modified during the scan cannot be skipped; only a page entirely at one timestamp pages
        on by offset."""
        modified = modified_property(object_type)
        last: datetime | None = None
        at_last: set[str] = set()
        after = 0
        while True:
            body = {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": modified, "operator": "GTE", "value": str(epoch_ms(since))},
                            *filters,
                        ]
                    }
                ],
                "sorts": [{"propertyName": modified, "direction": "ASCENDING"}],
                "properties": list(dict.fromkeys([modified, *properties])),
                "limit": self.page_size,
                "after": after,
            }
            answer = self.api.search(object_type, body)
            if self._first_answer is None:
                self._first_answer = self.api.client.server_time
            fresh = []
            for item in answer.get("results", []):
                moment = instant(item["properties"][modified])
                if moment == last and item["id"] in at_last:
                    continue
                if last is None or moment > last:
                    last, at_last = moment, set()
                at_last.add(item["id"])
                fresh.append((moment, int(item["id"]), item))
            if fresh:
                yield [item for _, _, item in sorted(fresh, key=lambda entry: entry[:2])]
            following = answer.get("paging", {}).get("next", {}).get("after")
            if not following:
                return
            moments = {instant(item["properties"][modified]) for item in answer.get("results", [])}
            after = int(following)
            if (
                last is not None
                and last > since
                and (len(moments) > 1 or after + self.page_size > self.search_cap)
            ):
                # Keyset paging: re-query from the last timestamp instead of an offset, so a record
                # modified during the scan (it moves to the end) cannot shift one past a page boundary,
                # and the 10,000-result cap is never reached. A page all at one timestamp pages on.
                since, after = last, 0
            elif after + self.page_size > self.search_cap:
                raise ConnectorError(
                    f"more than {self.search_cap} {object_type} were modified at {iso(since)}: "
                    "the search cannot page past them",
                    retryable=False,
                )
