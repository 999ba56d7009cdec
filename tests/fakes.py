"""An in-memory CRM behind crm-sync's own adapter contract (sync.connectors.base.Connector).

It stands for *our* interface, not for Salesforce or HubSpot (those are emulated in sandbox/): records
change with a version counter, polling returns changes after the cursor in pages, deletions are
reported, and delivery remembers every write by idempotency key, like an upsert on an external id.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.model import Stream
from sync.connectors.base import (
    BudgetExhausted,
    ConnectorError,
    DeliveryResult,
    OwedAction,
    Page,
    StoredSnapshots,
)


@dataclass
class FakeCRM:
    name: str = "salesforce"
    page_size: int = 100
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # stream -> id -> record
    versions: dict[str, dict[str, int]] = field(default_factory=dict)
    deleted: dict[str, dict[str, int]] = field(default_factory=dict)
    version: int = 0
    writes: dict[str, dict[str, Any]] = field(default_factory=dict)  # external id -> payload
    calls: list[tuple[str, int]] = field(default_factory=list)
    fail_next: list[DeliveryResult | Exception] = field(default_factory=list)
    poll_error: Exception | None = None
    reread_error: Exception | None = None
    budget_left: int | None = None
    lose_answers: int = 0  # deliveries whose writes happen but whose results never come back
    team_members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    # -- seeding -----------------------------------------------------------------------------------

    def put(self, stream: str, record: dict[str, Any]) -> None:
        self.version += 1
        self.records.setdefault(stream, {})[str(record["Id"] if "Id" in record else record["id"])] = (
            copy.deepcopy(record)
        )
        self.versions.setdefault(stream, {})[str(record.get("Id", record.get("id")))] = self.version

    def update(self, stream: str, record_id: str, **changes: Any) -> None:
        record = copy.deepcopy(self.records[stream][record_id])
        record.update(changes)
        self.put(stream, record)

    def delete(self, stream: str, record_id: str) -> None:
        self.version += 1
        self.records[stream].pop(record_id)
        self.versions[stream].pop(record_id)
        self.deleted.setdefault(stream, {})[record_id] = self.version

    # -- the Connector contract ----------------------------------------------------------------

    def poll(self, stream: Stream, cursor: Any, stored: StoredSnapshots | None = None) -> Iterator[Page]:
        self.calls.append(("poll", 1))
        if self.poll_error is not None:
            raise self.poll_error
        after = int(cursor or 0)
        changed = sorted((v, rid) for rid, v in self.versions.get(stream.name, {}).items() if v > after)
        gone = sorted((v, rid) for rid, v in self.deleted.get(stream.name, {}).items() if v > after)
        events = sorted([(v, rid, "put") for v, rid in changed] + [(v, rid, "del") for v, rid in gone])
        for start in range(0, len(events), self.page_size):
            chunk = events[start : start + self.page_size]
            yield Page(
                records=[
                    copy.deepcopy(self.records[stream.name][rid]) for _, rid, kind in chunk if kind == "put"
                ],
                deleted_ids=[rid for _, rid, kind in chunk if kind == "del"],
                cursor=chunk[-1][0],
            )

    def reread(self, stream: Stream, ids: Sequence[str]) -> Page:
        self.calls.append(("reread", len(ids)))
        if self.reread_error is not None:
            raise self.reread_error
        current = self.records.get(stream.name, {})
        return Page(
            records=[copy.deepcopy(current[i]) for i in ids if i in current],
            deleted_ids=[i for i in ids if i not in current],
        )

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        self.calls.append(("deliver", len(actions)))
        results: list[DeliveryResult] = []
        for index, action in enumerate(actions):
            if self.budget_left is not None:
                if self.budget_left <= 0:
                    if not results:
                        raise BudgetExhausted("daily API budget reached")
                    results.extend(
                        DeliveryResult.deferred(a.key, "API budget reached") for a in actions[index:]
                    )
                    break
                self.budget_left -= 1
            if self.fail_next:
                failure = self.fail_next.pop(0)
                if isinstance(failure, Exception):
                    raise failure
                results.append(
                    DeliveryResult(
                        action.key, failure.status, error=failure.error, retryable=failure.retryable
                    )
                )
                continue
            self.writes[action.external_id] = {
                "kind": action.kind,
                **action.payload.dump(),
            }  # upsert: never twice
            results.append(DeliveryResult.delivered(action.key, f"crm-{len(self.writes)}"))
        if self.lose_answers:
            self.lose_answers -= 1
            raise TransportDown("the connection dropped before the answer came")
        return results

    def teams(self) -> dict[str, list[dict[str, Any]]]:
        return self.team_members

    def close(self) -> None:
        pass

    def writes_of(self, kind: str) -> list[dict[str, Any]]:
        return [w for w in self.writes.values() if w["kind"] == kind]


class TransportDown(ConnectorError):
    pass
