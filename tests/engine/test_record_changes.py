"""The record change log: one row per first sighting and per sighting that changed something, with the
changed field paths flattened and long values truncated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sync.store.changes import MAX_VALUE, diff, flatten
from tests.engine.harness import STREAM, Harness
from tests.engine.test_cycle import RULES
from tests.support import sli_record as sli


def test_flatten_and_diff_name_leaf_paths_with_old_and_new_values() -> None:
    old = {"Name": "A", "Owner": {"Email": "a@example.com", "IsActive": True}, "Tags": [1, 2]}
    new = {"Name": "A", "Owner": {"Email": "b@example.com", "IsActive": True}, "Tags": [1, 2, 3], "X": None}
    assert flatten(old) == {
        "Name": "A",
        "Owner.Email": "a@example.com",
        "Owner.IsActive": True,
        "Tags": [1, 2],
    }
    assert diff(old, new) == {
        "Owner.Email": ["a@example.com", "b@example.com"],
        "Tags": ["[1, 2]", "[1, 2, 3]"],
    }
    cleared = diff({"Office__r": {"Name": "Seattle"}}, {"Office__r": None})
    assert cleared == {"Office__r.Name": ["Seattle", None]}
    long = diff({"Plan": None}, {"Plan": "x" * 5000})["Plan"][1]
    assert len(long) == MAX_VALUE and long.endswith("…")


def test_the_store_logs_first_sightings_and_changes_once_each(harness: Callable[..., Harness]) -> None:
    h = harness(RULES)
    h.crm.put(STREAM, sli(1))
    h.crm.put(STREAM, sli(2))
    h.cycle()
    h.clock.advance(hours=1)
    h.crm.update(STREAM, sli(1)["Id"], Intervention_Plan__c="Replace the caregiver")
    h.cycle()
    with h.store.transaction() as tx:
        tx.cursors.set(STREAM, None, h.clock())  # the whole stream read again: nothing new to log
    h.cycle()
    h.clock.advance(hours=30)  # the second record's reminder is due: re-read unchanged, nothing logged
    assert [a.rule_id for a in h.cycle().planned] == ["reminder"]
    with h.store.transaction() as tx:
        first, second = (tx.inspect.changes(f"{STREAM}:{sli(n)['Id']}") for n in (1, 2))
    assert [(c.kind, c.changes) for c in first] == [
        ("first_seen", None),
        ("changed", {"Intervention_Plan__c": [None, "Replace the caregiver"]}),
    ]
    assert first[1].seen_at - first[0].seen_at == timedelta(hours=1)
    assert [c.kind for c in second] == ["first_seen"]


def test_a_records_history_tells_when_a_field_changed(harness: Callable[..., Harness]) -> None:
    """Reports read when the plan was filled and the status turned Green from the store alone."""
    from sync.reports.sli import has_plan, is_resolved

    h = harness(RULES)
    h.crm.put(STREAM, sli(1))
    h.cycle()
    start = h.clock()
    h.clock.advance(hours=5)
    h.crm.update(STREAM, sli(1)["Id"], Intervention_Plan__c="Replace the caregiver")
    h.cycle()
    h.clock.advance(days=3)
    h.crm.update(STREAM, sli(1)["Id"], Client_Status__c="Green")
    h.cycle()
    with h.store.transaction() as tx:
        (record,) = tx.records.with_changes(STREAM)
    assert record.became(has_plan) == start + timedelta(hours=5)
    assert record.became(is_resolved) == start + timedelta(hours=5, days=3)
    states = [state["Client_Status__c"] for _, state in record.states()]
    assert states == ["Orange", "Orange", "Green"]


def test_histories_read_in_batches_are_the_histories_read_at_once(harness: Callable[..., Harness]) -> None:
    """KPIs read the store a batch at a time (bounded memory): every record, with its own changes."""
    h = harness(RULES)
    for n in range(1, 6):
        h.crm.put(STREAM, sli(n))
    h.cycle()
    h.clock.advance(hours=1)
    for n in (2, 5):
        h.crm.update(STREAM, sli(n)["Id"], Client_Status__c="Green")
    h.cycle()
    with h.store.transaction() as tx:
        whole = tx.records.with_changes(STREAM)
        batches = list(tx.records.with_changes_batched(STREAM, size=2))
    assert [len(b) for b in batches] == [2, 2, 1]
    flat = [r for b in batches for r in b]
    assert [(r.key, [s["Client_Status__c"] for _, s in r.states()]) for r in flat] == [
        (r.key, [s["Client_Status__c"] for _, s in r.states()]) for r in whole
    ]
    assert sum(len(list(r.states())) > 1 for r in flat) == 2
