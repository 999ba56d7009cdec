"""The functional core with an injected clock: records, history and time in; decisions and actions out."""

from __future__ import annotations

import builtins
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from rules.evaluate import Evaluation, History, Outcome, evaluate
from rules.model import RuleSet
from sync.connectors.registry import load_config
from tests.support import T0
from tests.support import sli_record as sli

REMINDER = """
rules:
  - id: reminder
    source: salesforce.sli
    after: {field: CreatedDate, delay: 24h}
    unless: "record.Intervention_Plan__c is not blank"
    actions:
      - notify: {to: [owner, director], subject: "Plan missing: {{ record.Name }}", template: reminder}
"""


@dataclass
class Memory:
    """What the store would remember between evaluations (outcomes by rule and occurrence)."""

    ruleset: RuleSet
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    first_seen: datetime | None = None

    def run(self, record: dict[str, Any], now: datetime) -> Evaluation:
        result = evaluate(
            self.ruleset,
            self.ruleset.streams["salesforce.sli"],
            record,
            History(self.first_seen, None, dict(self.outcomes)),
            now,
        )
        self.first_seen = self.first_seen or now
        for decision in result.decisions:
            self.outcomes[(decision.rule_id, decision.occurrence)] = decision.outcome
        return result


@pytest.fixture
def reminder(write_config: Callable[..., Path]) -> Memory:
    return Memory(load_config(write_config(REMINDER)))


def test_a_24h_timer_arms_then_waits(reminder: Memory) -> None:
    first = reminder.run(sli(), T0 + timedelta(minutes=5))
    assert [d.outcome.state for d in first.decisions] == ["armed"]
    assert first.next_due == T0 + timedelta(hours=24)
    assert first.actions == []


def test_never_at_23h59_once_at_24h(reminder: Memory) -> None:
    reminder.run(sli(), T0)
    assert reminder.run(sli(), T0 + timedelta(hours=23, minutes=59)).actions == []
    at_24 = reminder.run(sli(), T0 + timedelta(hours=24))
    assert [a.payload.dump()["to"]["email"] for a in at_24.actions] == ["owner@example.com", "rd@example.com"]
    assert reminder.run(sli(), T0 + timedelta(hours=24, minutes=1)).actions == []
    assert reminder.run(sli(), T0 + timedelta(days=9)).actions == []


def test_once_after_a_three_day_outage(reminder: Memory) -> None:
    reminder.run(sli(), T0 + timedelta(hours=1))
    late = reminder.run(sli(), T0 + timedelta(days=3, hours=1))
    assert len(late.actions) == 2
    assert "late" in late.decisions[0].outcome.reason
    assert reminder.run(sli(), T0 + timedelta(days=3, hours=2)).actions == []


def test_a_record_first_seen_after_its_due_time_fires_at_once(reminder: Memory) -> None:
    assert len(reminder.run(sli(), T0 + timedelta(days=2)).actions) == 2


def test_never_after_unless_became_true(reminder: Memory) -> None:
    reminder.run(sli(), T0)
    cancelled = reminder.run(sli(Intervention_Plan__c="Call the client"), T0 + timedelta(hours=5))
    assert [d.outcome.state for d in cancelled.decisions] == ["cancelled"]
    assert cancelled.next_due is None
    # The plan is emptied again before 24h: the timer stays cancelled.
    assert reminder.run(sli(), T0 + timedelta(hours=10)).actions == []
    assert reminder.run(sli(), T0 + timedelta(hours=30)).actions == []


def test_unless_true_at_first_sight_cancels(reminder: Memory) -> None:
    result = reminder.run(sli(Intervention_Plan__c="done"), T0)
    assert [d.outcome.state for d in result.decisions] == ["cancelled"]
    assert reminder.run(sli(), T0 + timedelta(hours=25)).actions == []


def test_whitespace_only_plan_counts_as_empty(reminder: Memory) -> None:
    reminder.run(sli(Intervention_Plan__c="   "), T0)
    assert len(reminder.run(sli(Intervention_Plan__c="   "), T0 + timedelta(hours=24)).actions) == 2


def test_an_edited_anchor_moves_the_timer(reminder: Memory) -> None:
    reminder.run(sli(), T0)
    moved = reminder.run(sli(CreatedDate="2026-03-02T21:00:00Z"), T0 + timedelta(hours=1))
    assert moved.next_due == T0 + timedelta(hours=36)
    assert reminder.run(sli(CreatedDate="2026-03-02T21:00:00Z"), T0 + timedelta(hours=30)).actions == []


def test_an_empty_anchor_is_a_notice_not_a_crash(reminder: Memory) -> None:
    result = reminder.run(sli(CreatedDate=None), T0)
    assert result.decisions == []
    assert [n.kind for n in result.notices] == ["error"]
    assert "CreatedDate" in result.notices[0].message


def _no_file_access(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every way of touching the file system fail loudly."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"file access during evaluation: {args!r}")

    for module, name in [
        (builtins, "open"),
        (io, "open"),
        (os, "stat"),
        (os, "lstat"),
        (os, "open"),
        (os, "listdir"),
        (os, "scandir"),
        (os.path, "getmtime"),
        (os.path, "exists"),
        (os.path, "isfile"),
    ]:
        monkeypatch.setattr(module, name, refuse)


def test_evaluation_is_pure_and_deterministic(reminder: Memory, monkeypatch: pytest.MonkeyPatch) -> None:
    history = History(None, None, {})
    stream = reminder.ruleset.streams["salesforce.sli"]
    record = sli()
    _no_file_access(monkeypatch)
    a = evaluate(reminder.ruleset, stream, record, history, T0 + timedelta(days=2))
    b = evaluate(reminder.ruleset, stream, record, history, T0 + timedelta(days=2))
    monkeypatch.undo()
    assert a.actions and a.actions == b.actions
    assert record == sli()  # the input record is not modified


def test_a_template_broken_after_loading_never_stops_a_firing(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    memory = Memory(load_config(write_config(ALERT)))
    (tmp_path / "templates" / "alert.txt").write_text("{% if broken %}")  # edited after validation
    (tmp_path / "templates" / "alert.html").unlink()
    actions = memory.run(sli(), T0).actions
    emails = [a.payload.dump() for a in actions if a.kind == "notify"]
    assert [e["text"] for e in emails] == [
        "Hello Olive Owner: Client 1 - No Call No Show (Orange)",
        "Hello there: Client 1 - No Call No Show (Orange)",
    ]
    assert all(e["html"] and e["html"].startswith("<p>Hello") for e in emails)


def test_keys_identify_rule_record_occurrence_action_and_recipient(reminder: Memory) -> None:
    actions = reminder.run(sli(), T0 + timedelta(days=2)).actions
    assert [a.key for a in actions] == [
        "reminder:salesforce.sli:a0X000000000001AAA:once:notify:user:005A",
        "reminder:salesforce.sli:a0X000000000001AAA:once:notify:user:005B",
    ]
    assert len({a.external_id for a in actions}) == 2


ALERT = """
rules:
  - id: alert
    source: salesforce.sli
    actions:
      - notify: {to: [owner, director], subject: "SLI {{ record.Name }}", template: alert}
      - post_chatter:
          body: "Alerted {{ recipients | map(attribute='email') | join(', ') }}{% for s in skipped %}; skipped {{ s.role }}: {{ s.reason }}{% endfor %}"
"""


@pytest.fixture
def alert(write_config: Callable[..., Path]) -> Memory:
    return Memory(load_config(write_config(ALERT)))


def test_untimed_rule_fires_once_per_record(alert: Memory) -> None:
    first = alert.run(sli(), T0)
    assert [a.kind for a in first.actions] == ["notify", "notify", "post_chatter"]
    assert alert.run(sli(Client_Status__c="Red"), T0 + timedelta(hours=1)).actions == []


def test_person_holding_two_roles_gets_one_email(alert: Memory) -> None:
    same = sli(
        Office__r={
            "Regional_Director__c": "005A",
            "Regional_Director__r": {"Email": "OWNER@example.com", "IsActive": True},
        }
    )
    actions = alert.run(same, T0).actions
    emails = [a for a in actions if a.kind == "notify"]
    assert len(emails) == 1
    assert emails[0].payload.dump()["to"]["roles"] == ["owner", "director"]
    assert "HTML" not in emails[0].payload.dump()["text"] and "<p>" in emails[0].payload.dump()["html"]


def test_inactive_and_empty_roles_are_skipped_and_reported(alert: Memory) -> None:
    record = sli(Owner={"Email": "gone@example.com", "IsActive": False, "Name": "X"}, Office__r=None)
    result = alert.run(record, T0)
    assert [a.kind for a in result.actions] == ["post_chatter"]
    body = result.actions[0].payload.dump()["body"]
    assert "skipped owner: inactive user gone@example.com" in body
    assert "skipped director: empty: Office__r.Regional_Director__r.Email has no value" in body
    assert sorted(n.message for n in result.notices) == [
        "director: empty: Office__r.Regional_Director__r.Email has no value",
        "owner: inactive user gone@example.com",
    ]


def test_html_is_autoescaped_text_is_not(alert: Memory) -> None:
    actions = alert.run(sli(Name="<script>x</script> - Y"), T0).actions
    email = actions[0].payload.dump()
    assert "&lt;script&gt;" in email["html"] and "<script>" not in email["html"]
    assert "<script>x</script>" in email["text"]
    assert email["subject"] == "SLI <script>x</script> - Y"


def test_occurrence_lets_a_rule_fire_again_per_value(write_config: Callable[..., Path]) -> None:
    memory = Memory(
        load_config(
            write_config(
                """
                rules:
                  - id: status-change
                    source: salesforce.sli
                    occurrence: "{{ record.Client_Status__c }}"
                    when: "record.Client_Status__c in ['Orange', 'Red']"
                    actions:
                      - post_chatter: {body: "Status is {{ record.Client_Status__c }}"}
                """
            )
        )
    )
    assert len(memory.run(sli(), T0).actions) == 1
    assert memory.run(sli(), T0 + timedelta(hours=1)).actions == []
    red = memory.run(sli(Client_Status__c="Red"), T0 + timedelta(hours=2)).actions
    assert [a.payload.dump()["body"] for a in red] == ["Status is Red"]
    assert red[0].key.endswith(":Red:post_chatter")


def test_timer_condition_decided_at_due_time_lapses(write_config: Callable[..., Path]) -> None:
    memory = Memory(
        load_config(
            write_config(
                """
                rules:
                  - id: not-satisfied-14d
                    source: salesforce.sli
                    after: {field: CreatedDate, delay: 14d}
                    when: "record.Client_Status__c in ['Yellow', 'Orange']"
                    actions:
                      - create_task: {subject: Call in 30 days, owner: owner, due: {field: CreatedDate, delay: 30d}}
                """
            )
        )
    )
    memory.run(sli(), T0)
    lapsed = memory.run(sli(Client_Status__c="Green"), T0 + timedelta(days=14))
    assert [d.outcome.state for d in lapsed.decisions] == ["lapsed"]
    assert memory.run(sli(Client_Status__c="Orange"), T0 + timedelta(days=20)).actions == []


def test_task_due_dates_and_owner(write_config: Callable[..., Path]) -> None:
    memory = Memory(
        load_config(
            write_config(
                """
                rules:
                  - id: check-in
                    source: salesforce.sli
                    actions:
                      - create_task: {subject: "Contact client", owner: director, due: {field: CreatedDate, delay: 14d}}
                """
            )
        )
    )
    (task,) = memory.run(sli(), T0 + timedelta(hours=2)).actions
    assert task.payload.dump()["due_date"] == "2026-03-16"
    assert task.payload.dump()["owner"]["user_id"] == "005B"
    assert task.payload.dump()["related_id"] == "a0X000000000001AAA"


def test_stream_checks_reject_with_a_reason(write_config: Callable[..., Path]) -> None:
    path = write_config(REMINDER)
    checks = (
        "      checks:\n"
        "        - expect: \"record.Client_Status__c in ['Green', 'Yellow', 'Orange', 'Red']\"\n"
        '          message: "unknown status {{ record.Client_Status__c }}"\n'
        "      fields:\n"
    )
    path.write_text(path.read_text().replace("      fields:\n", checks, 1))
    memory = Memory(load_config(path))
    result = memory.run(sli(Client_Status__c="Purple"), T0)
    assert result.rejection is not None and result.rejection.reason == "unknown status Purple"
    assert result.decisions == []


def test_a_date_at_the_end_of_the_calendar_is_a_notice_not_a_crash(reminder: Memory) -> None:
    """Found by the property tests: year 9999 plus a delay overflowed inside evaluation."""
    result = reminder.run(sli(CreatedDate="9999-12-31T23:00:00.000+0000"), T0)
    assert [n.kind for n in result.notices] == ["error"] and "out of range" in result.notices[0].message


@pytest.mark.parametrize(
    ("files", "personal"),
    [
        ({"alert.txt": "SLI {{ record.Name }}", "alert.html": "<p>{{ record.Name }}</p>"}, False),
        ({"alert.txt": "Hi {{ recipient.email }}", "alert.html": "<p>SLI</p>"}, True),
        (
            {
                "alert.txt": "{% include '_hi.txt' %}",
                "alert.html": "<p>SLI</p>",
                "_hi.txt": "{{ recipient.email }}",
            },
            True,
        ),
    ],
)
def test_an_email_is_personal_exactly_when_its_texts_read_the_recipient(
    write_config: Callable[..., Path], files: dict[str, str], personal: bool
) -> None:
    """Rendered once per firing when nothing reads ``recipient`` (also through an include), else per person."""
    memory = Memory(load_config(write_config(ALERT, templates=files)))
    emails = [a.payload.dump() for a in memory.run(sli(), T0).actions if a.kind == "notify"]
    texts = [email["text"].removeprefix("Hi ") for email in emails]
    assert len(emails) == 2
    if personal:
        assert texts == [email["to"]["email"] for email in emails]
    else:
        assert texts == [f"SLI {sli()['Name']}"] * 2
