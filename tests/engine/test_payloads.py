"""Typed payloads in the ledger: rows stored by earlier versions keep loading, and a row whose payload
cannot be read is dead at once with the reason (a retry cannot mend it), never blocking the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rules.actions.chatter import ChatterPayload
from rules.actions.registry import kind, kinds
from rules.planner import PlannedAction
from tests.engine.harness import Harness
from tests.engine.test_cycle import RULES, sli

PERSON = {"email": "rd@example.com", "user_id": "005B", "name": "Rae Director", "roles": ["director"]}

#: Payloads exactly as the planner stored them before payloads were typed (JSON in the ledger).
STORED_BEFORE: dict[str, dict[str, Any]] = {
    "notify": {
        "related_id": "a0X1",
        "to": PERSON,
        "cc": [{"email": "cc@example.com", "user_id": None, "name": None, "roles": []}],
        "sender": None,
        "subject": "SLI submitted",
        "text": "Hello",
        "html": None,
    },
    "send_email": {
        "related_id": "1",
        "to": PERSON,
        "cc": [],
        "sender": PERSON,
        "subject": "s",
        "text": None,
        "html": "<p>x</p>",
    },
    "create_task": {
        "related_id": "a0X1",
        "subject": "Follow up",
        "description": None,
        "owner": PERSON,
        "fields": {"Type": "Call"},
        "priority": "High",
        "due_at": "2026-03-16T09:00:00+00:00",
        "due_date": "2026-03-16",
    },
    "create_ticket": {
        "related_id": "1",
        "subject": "Detractor",
        "content": "score 3",
        "pipeline": "Customer Success",
        "stage": "New",
        "owner": None,
        "properties": {"nps_score": "3"},
    },
    "post_chatter": {"related_id": "a0X1", "body": "Alerted 5 people"},
    "update_record": {
        "related_id": "a0X1",
        "object": "Service_Level_Intervention__c",
        "fields": {"Status__c": "Open"},
    },
}


@pytest.mark.parametrize("name", sorted(STORED_BEFORE))
def test_rows_stored_before_typed_payloads_load_and_round_trip(name: str) -> None:
    found = kind(name)
    assert found is not None
    payload = found.load(STORED_BEFORE[name])
    assert isinstance(payload, found.payload)
    dumped = payload.dump()
    same_keys = {k: v for k, v in dumped.items() if k in STORED_BEFORE[name]}
    if "due_at" in same_keys:  # the same instant; JSON now writes UTC as Z
        same_keys["due_at"] = same_keys["due_at"].replace("Z", "+00:00")
    assert same_keys == STORED_BEFORE[name]
    assert found.load(dumped) == payload


def test_every_kind_has_a_valid_example() -> None:
    for name, action_kind in kinds().items():
        example = action_kind.example()
        assert isinstance(example, action_kind.payload), name
        assert action_kind.load(example.dump()) == example


def test_an_unreadable_row_is_dead_with_its_reason_and_the_rest_is_delivered(
    harness: Callable[..., Harness],
) -> None:
    h = harness(RULES)
    h.crm.put("salesforce.sli", sli())
    h.cycle(deliver=False)
    stray = PlannedAction(
        key="gone:salesforce.sli:a0X1:once:send_fax",
        rule_id="gone",
        kind="send_fax",  # a kind this version does not know (an extension that was removed)
        target="salesforce",
        record_key="salesforce.sli:a0X1",
        record_id="a0X1",
        occurrence="once",
        payload=ChatterPayload(body="x"),
    )
    with h.store.transaction() as tx:
        tx.ledger.add([stray], h.clock())
    report = h.cycle()
    assert report.delivery.counts == {"delivered": 2, "dead": 1}
    (dead,) = h.actions("dead")
    assert dead.key == stray.key and dead.last_error == "unknown action kind 'send_fax'"
    assert len(h.actions("delivered")) == 2
