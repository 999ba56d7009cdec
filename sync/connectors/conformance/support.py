"""What the conformance tests share: owed actions built from each kind's example, polls and deliveries
through a fresh adapter (as after a restart), and the ids and snapshots of polled pages."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from rules.actions.registry import kind as action_kind
from rules.planner import external_id
from sync.connectors.base import DeliveryResult, OwedAction, Page
from sync.connectors.conformance.driver import ConformanceDriver


def owed(driver: ConformanceDriver, kind: str, record_id: str) -> OwedAction:
    """The kind's example payload about ``record_id``, as delivery hands it over (loaded from its JSON)."""
    found = action_kind(kind)
    if found is None:
        raise AssertionError(f"{driver.name()} declares {kind!r}, which no action kind provides")
    example = found.example().model_copy(update={"related_id": record_id})
    payload = found.load(driver.prepare(kind, example).dump())
    key = f"conformance:{driver.stream().name}:{record_id}:1:{kind}"
    return OwedAction(key, external_id(key), kind, record_id, payload, attempts=0)


def every_kind(driver: ConformanceDriver, record_id: str) -> list[OwedAction]:
    """One owed action of each kind the adapter declares, all about one record."""
    return [owed(driver, kind, record_id) for kind in sorted(driver.spec.capabilities)]


def as_retry(action: OwedAction) -> OwedAction:
    """The action as delivery offers it again after an attempt with no known outcome."""
    return replace(action, attempts=action.attempts + 1, tried=True)


def poll(driver: ConformanceDriver, cursor: Any) -> list[Page]:
    """Every page a new adapter yields from ``cursor``."""
    connector = driver.connector()
    try:
        return list(connector.poll(driver.stream(), cursor))
    finally:
        connector.close()


def deliver(driver: ConformanceDriver, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
    """A new adapter's results for one batch."""
    connector = driver.connector()
    try:
        return connector.deliver(actions)
    finally:
        connector.close()


def reread(driver: ConformanceDriver, record_ids: Sequence[str]) -> Page:
    """What a new adapter reads again for these records (as for due timers)."""
    connector = driver.connector()
    try:
        return connector.reread(driver.stream(), record_ids)
    finally:
        connector.close()


def create(driver: ConformanceDriver, count: int) -> list[str]:
    """``count`` new records, a second apart on the CRM's clock."""
    made = []
    for _ in range(count):
        made.append(driver.create())
        driver.advance(1)
    return made


def ids(driver: ConformanceDriver, pages: Iterable[Page]) -> list[str]:
    """The ids of the records on ``pages``, in order, repeats included."""
    field = driver.stream().id_field
    return [str(record[field]) for page in pages for record in page.records]


def snapshots(driver: ConformanceDriver, pages: Iterable[Page]) -> dict[str, dict[str, Any]]:
    """The last version of each record on ``pages``, by id."""
    field = driver.stream().id_field
    return {str(record[field]): record for page in pages for record in page.records}


def deleted(pages: Iterable[Page]) -> list[str]:
    return [str(record_id) for page in pages for record_id in page.deleted_ids]


def check_resumable(driver: ConformanceDriver, pages: Sequence[Page]) -> None:
    """A poll resumed from any page's cursor (a crash after that page) brings every later record."""
    for index, page in enumerate(pages[:-1]):
        later = set(ids(driver, pages[index + 1 :]))
        resumed = set(ids(driver, poll(driver, page.cursor)))
        assert later <= resumed, f"resuming after page {index + 1} lost {sorted(later - resumed)}"


def check_delivered(results: Sequence[DeliveryResult], actions: Sequence[OwedAction]) -> None:
    """One result per action, each delivered (or sent: accepted, its final status checked later)."""
    assert sorted(r.key for r in results) == sorted(a.key for a in actions), "one result per action"
    failed = [f"{r.key}: {r.status} ({r.error})" for r in results if r.status not in ("delivered", "sent")]
    assert not failed, f"not delivered: {failed}"


def check_written_once(driver: ConformanceDriver, actions: Iterable[OwedAction]) -> None:
    """Each action left exactly one effect in the CRM."""
    counts = {action.kind: len(driver.written(action)) for action in actions}
    assert all(n == 1 for n in counts.values()), f"effects in the CRM by kind (want one each): {counts}"
