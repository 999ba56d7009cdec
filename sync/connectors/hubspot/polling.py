"""Polling a feedback-submission stream, and re-emitting submissions whose crm-sync ticket got a call.

Cursor (JSON): ``{"modified": ISO, "calls": ISO}``. ``modified`` is the newest ``hs_lastmodifieddate``
emitted; each poll searches from ``modified - overlap`` (the search index lags), so records near the
cursor are emitted again, which the engine absorbs (an unchanged snapshot changes nothing). Pages are in
ascending modification order, so a crash between pages resumes from the last committed page. ``calls``
is the same for calls: a call logged on a crm-sync ticket re-emits that ticket's submission with the
new ``ticket.calls_logged``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rules.model import Stream
from sync.connectors.base import ConnectorError, Page

from .api import HubSpotApi
from .enrich import Enricher, RecordShape
from .lookups import SUBMISSIONS, Lookups
from .times import EPOCH, epoch_ms, instant, iso
from .where import Condition, parse_where

MODIFIED = "hs_lastmodifieddate"
PAGE_SIZE = 200  # the search API's maximum
SEARCH_CAP = 10_000  # a search query pages through at most this many results


def _later(current: datetime | None, candidate: datetime) -> datetime:
    return candidate if current is None or candidate > current else current


@dataclass
class Cursor:
    """Where a stream's polling resumes."""

    modified: datetime | None = None
    calls: datetime | None = None

    @classmethod
    def load(cls, raw: Any) -> Cursor:
        if not isinstance(raw, dict):
            return cls()
        return cls(*(instant(raw[k]) if raw.get(k) else None for k in ("modified", "calls")))

    def dump(self) -> dict[str, str | None]:
        return {k: iso(v) if v else None for k, v in (("modified", self.modified), ("calls", self.calls))}


class Poller:
    """Pages of enriched submission records after a cursor."""

    def __init__(
        self,
        api: HubSpotApi,
        lookups: Lookups,
        overlap: timedelta,
        now: Callable[[], datetime],
        page_size: int = PAGE_SIZE,
        search_cap: int = SEARCH_CAP,
    ) -> None:
        self.api = api
        self.lookups = lookups
        self.enricher = Enricher(api, lookups)
        self.overlap = overlap
        self.now = now
        self.page_size = page_size
        self.search_cap = search_cap

    def poll(self, stream: Stream, raw_cursor: Any) -> Iterator[Page]:
        shape, conditions = RecordShape.of(stream), parse_where(stream.where)
        cursor = Cursor.load(raw_cursor)
        # No crm-sync ticket predates the first committed page, so calls are scanned from then on.
        cursor.calls = cursor.calls or self.now()
        since = cursor.modified - self.overlap if cursor.modified else (stream.since or EPOCH)
        filters = [c.search_filter() for c in conditions]
        for batch in self._scan(SUBMISSIONS, since, filters, shape.submission):
            cursor.modified = _later(cursor.modified, instant(batch[-1]["properties"][MODIFIED]))
            yield Page(records=self.enricher.records(batch, shape), cursor=cursor.dump())
        for batch in self._scan("calls", cursor.calls - self.overlap, [], [MODIFIED]):
            cursor.calls = _later(cursor.calls, instant(batch[-1]["properties"][MODIFIED]))
            records = self._called([c["id"] for c in batch], conditions, shape)
            yield Page(records=records, cursor=cursor.dump())

    def reread(self, stream: Stream, ids: Sequence[str]) -> Page:
        """The current version of these submissions, enriched, in batch reads; gone ones are deleted."""
        shape = RecordShape.of(stream)
        found = self.api.read(SUBMISSIONS, ids, shape.submission)
        present = [found[sid] for sid in sorted(found, key=int)]
        records = self.enricher.records(present, shape) if present else []
        return Page(records=records, deleted_ids=sorted(set(ids) - set(found)))

    def _called(
        self, call_ids: list[str], conditions: Sequence[Condition], shape: RecordShape
    ) -> list[dict[str, Any]]:
        """The stream's submissions whose crm-sync ticket has one of these calls, enriched."""
        linked = self.api.associations("calls", "tickets", call_ids)
        ticket_ids = {str(t["toObjectId"]) for targets in linked.values() for t in targets}
        submission_ids = self.lookups.submissions_of_tickets(ticket_ids) if ticket_ids else set()
        found = self.api.read(SUBMISSIONS, submission_ids, shape.submission)
        wanted = [
            found[sid]
            for sid in sorted(found, key=int)
            if all(c.matches(found[sid]["properties"]) for c in conditions)
        ]
        return self.enricher.records(wanted, shape) if wanted else []

    def _scan(
        self, object_type: str, since: datetime, filters: list[dict[str, str]], properties: Sequence[str]
    ) -> Iterator[list[dict[str, Any]]]:
        """Objects modified at or after ``since`` in pages, ascending (ties by id). Stops only when
        ``paging.next`` is absent. Each next page is a new query from the last timestamp seen (skipping
        the records at that timestamp it already gave), so the 10,000-result cap is never reached and
        records modified during the scan cannot be skipped; only a page entirely at one timestamp pages
        on by offset."""
        last: datetime | None = None
        at_last: set[str] = set()
        after = 0
        while True:
            body = {
                "filterGroups": [
                    {
                        "filters": [
                            {"propertyName": MODIFIED, "operator": "GTE", "value": str(epoch_ms(since))},
                            *filters,
                        ]
                    }
                ],
                "sorts": [{"propertyName": MODIFIED, "direction": "ASCENDING"}],
                "properties": list(properties),
                "limit": self.page_size,
                "after": after,
            }
            answer = self.api.search(object_type, body)
            fresh = []
            for item in answer.get("results", []):
                moment = instant(item["properties"][MODIFIED])
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
            moments = {instant(item["properties"][MODIFIED]) for item in answer.get("results", [])}
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
