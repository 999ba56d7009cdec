"""Rules edited while timers are armed: a changed rule re-plans its timers, a removed one cancels them,
``on_change: keep`` lets them finish with their due time; an edit of the actions alone changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from sync.connectors.registry import load_config
from tests.engine.harness import STREAM, Harness
from tests.support import T0
from tests.support import sli_record as sli

REMINDER = """
rules:
  - id: reminder
    source: salesforce.sli
    after: {{field: CreatedDate, delay: {delay}}}
    when: "{when}"
    unless: "record.Intervention_Plan__c is not blank"
    {extra}
    actions:
      - notify: {{to: [owner], subject: "{subject}", template: reminder}}
"""


def rules(delay: str = "24h", when: str = "true", extra: str = "", subject: str = "Plan missing") -> str:
    return REMINDER.format(delay=delay, when=when, extra=extra, subject=subject)


def reminders(h: Harness) -> list[object]:
    return [a for a in h.actions() if a.rule_id == "reminder"]


def switch(h: Harness, write_config: Callable[..., Path], text: str) -> None:
    h.engine.ruleset = load_config(write_config(text))  # as the daemon's reload does


def test_a_longer_delay_re_plans_armed_timers(
    harness: Callable[..., Harness], write_config: Callable[..., Path]
) -> None:
    h = harness(rules())
    h.crm.put(STREAM, sli())
    h.cycle()
    h.clock.advance(hours=1)
    switch(h, write_config, rules(delay="48h"))
    report = h.cycle()
    assert report.rule_changes == [
        "rule reminder changed: its 1 armed timer(s) are re-planned under the new version"
    ]
    assert h.record(sli()["Id"]).next_due == T0 + timedelta(hours=48)  # type: ignore[union-attr]
    h.clock.advance(hours=24)  # 25 hours: the old due time has passed
    h.cycle()
    assert reminders(h) == []
    h.clock.advance(hours=23)
    h.cycle()
    h.cycle()
    assert len(reminders(h)) == 1


def test_a_tightened_condition_decides_at_the_due_time(
    harness: Callable[..., Harness], write_config: Callable[..., Path]
) -> None:
    h = harness(rules())
    h.crm.put(STREAM, sli())  # Orange
    h.cycle()
    switch(h, write_config, rules(when="record.Client_Status__c == 'Red'"))
    assert h.cycle().rule_changes[0].startswith("rule reminder changed")
    h.clock.advance(hours=25)
    h.cycle()
    assert reminders(h) == []
    assert [o.state for o in h.outcomes() if o.rule_id == "reminder"] == ["lapsed"]


def test_a_removed_rule_cancels_its_armed_timers(
    harness: Callable[..., Harness], write_config: Callable[..., Path]
) -> None:
    h = harness(rules())
    h.crm.put(STREAM, sli())
    h.cycle()
    switch(h, write_config, "rules: []")
    assert h.cycle().rule_changes == ["rule reminder removed: its 1 armed timer(s) are cancelled"]
    (outcome,) = h.outcomes()
    assert (outcome.state, outcome.reason) == ("cancelled", "the rule was removed from the configuration")
    switch(h, write_config, rules())  # brought back: the old occurrence stays decided
    h.clock.advance(hours=25)
    h.cycle()
    assert reminders(h) == []


def test_on_change_keep_finishes_with_the_due_time_it_had(
    harness: Callable[..., Harness], write_config: Callable[..., Path]
) -> None:
    h = harness(rules())
    h.crm.put(STREAM, sli())
    h.cycle()
    switch(h, write_config, rules(delay="48h", extra="on_change: keep"))
    assert h.cycle().rule_changes == [
        "rule reminder changed (on_change: keep): its 1 armed timer(s) keep their due time"
    ]
    h.clock.advance(hours=24, minutes=1)
    h.cycle()
    assert len(reminders(h)) == 1
    h.crm.put(STREAM, sli(2))  # armed after the change: the new delay
    h.cycle()
    assert h.record(sli(2)["Id"]).next_due == T0 + timedelta(hours=48)  # type: ignore[union-attr]


def test_an_edit_of_the_actions_alone_changes_no_timer(
    harness: Callable[..., Harness], write_config: Callable[..., Path]
) -> None:
    h = harness(rules())
    h.crm.put(STREAM, sli())
    h.cycle()
    switch(h, write_config, rules(subject="Still no plan"))
    assert h.cycle().rule_changes == []
    h.clock.advance(hours=24)
    h.cycle()
    assert [a.payload["subject"] for a in reminders(h)] == ["Still no plan"]  # type: ignore[attr-defined]


def test_validate_says_how_many_armed_timers_an_edit_touches(
    harness: Callable[..., Harness], write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from sync.cli import main

    h = harness(rules())
    if h.store.database.url.get_backend_name() != "sqlite":
        pytest.skip("the CLI reads the config's own store (SQLite here)")
    h.crm.put(STREAM, sli())
    h.crm.put(STREAM, sli(2))
    h.cycle()
    config = write_config(rules(delay="48h"))
    assert main(["validate", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "rule reminder changed: its 2 armed timer(s) are re-planned under the new version" in out
    assert [o.state for o in h.outcomes()] == ["armed", "armed"]  # validate changed nothing
