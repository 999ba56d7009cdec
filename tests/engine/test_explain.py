"""``explain``: a record's timeline, each rule's outcome with the condition values behind it, every
action and skipped recipient; bad input is an ``InspectError`` (exit 2)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from sync.connectors.base import DeliveryResult
from sync.inspect.common import InspectError
from sync.inspect.explain import explain_record, parse_target
from sync.inspect.explain_text import format_explain
from tests.engine.harness import STREAM, Harness
from tests.engine.test_cycle import RULES
from tests.support import T0
from tests.support import sli_record as sli

RULES_AND_RED = (
    RULES
    + """
  - id: red
    source: salesforce.sli
    when: "record.Client_Status__c == 'Red'"
    actions:
      - notify: {to: [owner], subject: "Red: {{ record.Name }}", template: alert}
  - id: still-orange
    source: salesforce.sli
    after: {field: CreatedDate, delay: 48h}
    when: "record.Client_Status__c == 'Orange'"
    actions:
      - notify: {to: [owner], subject: "Still orange: {{ record.Name }}", template: alert}
"""
)
INACTIVE_DIRECTOR = {
    "Regional_Director__c": "005B",
    "Regional_Director__r": {"Email": "rd@example.com", "IsActive": False},
}


def explain(h: Harness, record_id: str) -> dict[str, Any]:
    with h.store.transaction() as tx:
        return explain_record(tx, h.ruleset, h.ruleset.streams[STREAM], record_id, h.clock())


def by_rule(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["rule"]: rule for rule in report["rules"]}


@pytest.fixture
def h(harness: Callable[..., Harness]) -> Harness:
    return harness(RULES_AND_RED)


def test_a_cancelled_reminder_shows_the_change_that_cancelled_it_and_the_values(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.cycle()
    h.clock.advance(hours=5)
    h.crm.update(STREAM, sli()["Id"], Intervention_Plan__c="Replace the caregiver")
    h.cycle()
    report = explain(h, sli()["Id"])
    assert report["title"] == "Client 1 - No Call No Show"
    assert [(e["kind"], e["seen_at"]) for e in report["timeline"]] == [
        ("first_seen", T0.isoformat()),
        ("changed", (T0 + timedelta(hours=5)).isoformat()),
    ]
    assert report["timeline"][1]["changes"] == {"Intervention_Plan__c": [None, "Replace the caregiver"]}
    rules = by_rule(report)
    reminder = rules["reminder"]
    assert reminder["state"] == "cancelled"
    assert reminder["outcomes"][0]["reason"] == "unless became true before the timer was due"
    assert reminder["outcomes"][0]["due_at"] == (T0 + timedelta(hours=24)).isoformat()
    assert reminder["values"]["unless"] == {
        "source": "record.Intervention_Plan__c is not blank",
        "reads": {"record.Intervention_Plan__c": "Replace the caregiver"},
        "value": True,
    }
    assert reminder["values"]["after"]["due_at"] == (T0 + timedelta(hours=24)).isoformat()
    assert rules["red"]["state"] == "not matched" and rules["red"]["values"]["when"]["value"] is False
    assert rules["red"]["values"]["when"]["reads"] == {"record.Client_Status__c": "Orange"}
    alert = rules["alert"]
    assert alert["state"] == "fired"
    assert sorted(a["status"] for a in alert["actions"]) == ["delivered", "delivered"]
    assert {p["email"] for a in alert["actions"] for p in a["recipients"]} == {
        "owner@example.com",
        "rd@example.com",
    }
    assert all(a["crm_id"] for a in alert["actions"])
    text = format_explain(report, h.ruleset.timezone)
    assert 'Intervention_Plan__c: null -> "Replace the caregiver"' in text
    assert "reminder: cancelled 2026-03-02 14:00 UTC: unless became true before the timer was due" in text
    assert "red: not matched (when is false)" in text


def test_failing_actions_and_skipped_recipients_say_why(h: Harness) -> None:
    h.crm.put(STREAM, sli(Office__r=INACTIVE_DIRECTOR))
    h.crm.fail_next = [DeliveryResult.failed("?", "UNABLE_TO_LOCK_ROW")]
    h.cycle()
    alert = by_rule(explain(h, sli()["Id"]))["alert"]
    (action,) = alert["actions"]
    assert (action["status"], action["attempts"], action["last_error"]) == (
        "retrying",
        1,
        "UNABLE_TO_LOCK_ROW",
    )
    assert action["next_attempt_at"] is not None and action["crm_id"] is None
    assert action["recipients"] == [{"as": "to", "email": "owner@example.com", "name": "Olive Owner"}]
    assert [(s["role"], s["reason"]) for s in alert["skipped"]] == [
        ("director", "inactive user rd@example.com")
    ]
    text = format_explain(explain(h, sli()["Id"]), h.ruleset.timezone)
    assert "action notify retrying, 1 attempt: to Olive Owner <owner@example.com>" in text
    assert "error: UNABLE_TO_LOCK_ROW" in text
    assert "skipped director: inactive user rd@example.com" in text


def test_an_armed_timer_that_lapses_then_a_deletion(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.cycle()
    orange = by_rule(explain(h, sli()["Id"]))["still-orange"]
    assert (
        orange["state"] == "armed"
        and orange["outcomes"][0]["due_at"] == (T0 + timedelta(hours=48)).isoformat()
    )
    h.clock.advance(hours=10)
    h.crm.update(STREAM, sli()["Id"], Client_Status__c="Green")
    h.cycle()
    h.clock.advance(hours=40)
    h.cycle()
    report = explain(h, sli()["Id"])
    orange = by_rule(report)["still-orange"]
    assert orange["state"] == "lapsed" and orange["values"]["when"]["reads"] == {
        "record.Client_Status__c": "Green"
    }
    assert (
        "still-orange: lapsed 2026-03-04 11:00 UTC: when was false at the due time 2026-03-04 09:00 UTC"
        in (format_explain(report, h.ruleset.timezone))
    )
    h.crm.delete(STREAM, sli()["Id"])
    h.clock.advance(hours=1)
    h.cycle()
    report = explain(h, sli()["Id"])
    assert report["deleted_at"] is not None and report["timeline"][-1]["kind"] == "deleted"
    assert [e["kind"] for e in report["timeline"]] == ["first_seen", "changed", "deleted"]


def test_rules_no_longer_configured_keep_their_history(
    harness: Callable[..., Harness], write_config: Callable[..., Any]
) -> None:
    from sync.connectors.registry import load_config

    h = harness(RULES)
    h.crm.put(STREAM, sli())
    h.cycle()
    h.ruleset = load_config(write_config(RULES_AND_RED.replace("- id: alert", "- id: alert-v2")))
    rules = by_rule(explain(h, sli()["Id"]))
    assert rules["alert"]["in_config"] is False and rules["alert"]["state"] == "fired"
    assert rules["alert-v2"]["state"] == "undecided"  # matches; the next cycle that sees the record decides


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("a0X000000000001AAA", "is not STREAM:RECORD_ID"),
        ("salesforce.sli:", "is not STREAM:RECORD_ID"),
        ("sli:a0X000000000001AAA", "is not STREAM:RECORD_ID"),
        ("hubspot.nps:1", "unknown stream 'hubspot.nps' (the configuration has: salesforce.sli)"),
    ],
)
def test_malformed_targets_are_input_errors(h: Harness, target: str, message: str) -> None:
    with pytest.raises(InspectError, match=re.escape(message)):
        parse_target(target, h.ruleset)


def test_an_unknown_record_is_an_input_error(h: Harness) -> None:
    with pytest.raises(InspectError, match=re.escape("no record salesforce.sli:nope in the store")):
        explain(h, "nope")
