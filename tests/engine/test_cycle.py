"""Engine cycles on a real store: exactly-once planning, level-triggered timers, delivery and failures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sync.connectors.base import ConnectorError, DeliveryResult
from sync.engine import CycleReport, FirstRunRefused
from sync.store.cursors import Cursors
from tests.engine.harness import STREAM, Harness
from tests.fakes import TransportDown
from tests.support import T0, Clock
from tests.support import sli_record as sli

RULES = """
delivery: {max_attempts: 3, backoff: 1m, max_backoff: 10m}
rules:
  - id: alert
    source: salesforce.sli
    actions:
      - notify: {to: [owner, director], subject: "SLI {{ record.Name }}", template: alert}
  - id: reminder
    source: salesforce.sli
    after: {field: CreatedDate, delay: 24h}
    unless: "record.Intervention_Plan__c is not blank"
    actions:
      - notify: {to: [owner], subject: "Plan missing: {{ record.Name }}", template: reminder}
"""


@pytest.fixture
def h(harness: Callable[..., Harness]) -> Harness:
    return harness(RULES)


def test_a_cycle_plans_delivers_and_a_second_plans_nothing_new(h: Harness) -> None:
    for n in range(1, 4):
        h.crm.put(STREAM, sli(n))
    first = h.cycle()
    assert first.ok
    assert len(first.planned) == 6  # two alerts per SLI
    assert first.delivery.counts["delivered"] == 6
    assert len(h.crm.writes) == 6
    second = h.cycle()
    assert second.planned == [] and second.delivery.counts == {}
    assert len(h.crm.writes) == 6


def test_replaying_pages_after_a_cursor_reset_plans_nothing_twice(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.cycle()
    with h.store.transaction() as tx:
        tx.cursors.set(STREAM, None, T0)  # as after an overlap window or a lost cursor
    again = h.cycle()
    assert again.polled[STREAM] == 1 and again.planned == []
    assert len(h.actions()) == 2


def test_24h_timer_through_the_store(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.cycle()
    assert h.record(sli()["Id"]).next_due == T0 + timedelta(hours=24)  # type: ignore[union-attr]
    h.clock.advance(hours=23, minutes=59)
    assert h.cycle().planned == []
    h.clock.advance(minutes=1)
    fired = h.cycle()
    assert [a.rule_id for a in fired.planned] == ["reminder"]
    assert h.record(sli()["Id"]).next_due is None  # type: ignore[union-attr]
    h.clock.advance(hours=1)
    assert h.cycle().planned == []
    assert len([w for w in h.crm.writes.values() if w["subject"].startswith("Plan missing")]) == 1


def test_downtime_delays_a_timer_but_never_loses_it(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.cycle()
    h.clock.advance(days=3)
    late = h.cycle()
    assert [a.rule_id for a in late.planned] == ["reminder"]
    h.clock.advance(hours=1)
    assert h.cycle().planned == []


def test_plan_filled_in_cancels_the_reminder(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.cycle()
    h.clock.advance(hours=5)
    h.crm.update(STREAM, sli()["Id"], Intervention_Plan__c="Replace the caregiver")
    assert h.cycle().decisions["cancelled"] == 1
    h.clock.advance(hours=20)
    assert h.cycle().planned == []
    assert {o.state for o in h.outcomes() if o.rule_id == "reminder"} == {"cancelled"}


def test_a_deleted_record_cancels_its_timers_and_undelivered_actions(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.crm.fail_next = [DeliveryResult.failed("?", "503 Service Unavailable")]
    h.cycle()
    assert len(h.actions("retrying")) == 1
    h.crm.delete(STREAM, sli()["Id"])
    h.clock.advance(minutes=5)
    report = h.cycle()
    assert report.deleted[STREAM] == 1
    assert len(h.actions("cancelled")) == 1
    assert {o.state for o in h.outcomes() if o.rule_id == "reminder"} == {"cancelled"}
    h.clock.advance(days=2)
    assert h.cycle().planned == []


def test_retryable_failures_back_off_then_deliver(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.crm.fail_next = [DeliveryResult.failed("?", "UNABLE_TO_LOCK_ROW")]
    h.cycle()
    (retrying,) = h.actions("retrying")
    assert retrying.attempts == 1 and retrying.last_error == "UNABLE_TO_LOCK_ROW"
    assert retrying.next_attempt_at is not None and retrying.next_attempt_at > T0
    h.clock.advance(seconds=10)
    assert h.cycle().delivery.counts == {}  # still backing off
    h.clock.advance(minutes=5)
    assert h.cycle().delivery.counts["delivered"] == 1
    (done,) = [a for a in h.actions("delivered") if a.key == retrying.key]
    assert done.crm_id and done.attempts == 2 and done.last_error is None


def test_permanent_failures_go_dead_and_retry_dead_requeues(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.crm.fail_next = [DeliveryResult.failed("?", "INVALID_EMAIL_ADDRESS", retryable=False)]
    h.cycle()
    (dead,) = h.actions("dead")
    assert dead.last_error == "INVALID_EMAIL_ADDRESS"
    with h.store.transaction() as tx:
        assert tx.ledger.requeue(h.clock(), include_dead=False) == 0
        assert tx.ledger.requeue(h.clock(), include_dead=True) == 1
    assert h.cycle().delivery.counts["delivered"] == 1
    assert h.actions("dead") == []


def test_attempts_are_bounded(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.crm.fail_next = [DeliveryResult.failed("?", "503")] * 10
    for _ in range(5):
        h.cycle()
        h.clock.advance(minutes=30)
    assert [a.attempts for a in h.actions("dead")] == [3, 3]  # max_attempts, then no further calls
    assert len(h.crm.fail_next) == 4


def test_a_crash_between_the_crm_write_and_the_bookkeeping_never_duplicates(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    original = h.crm.deliver

    def write_then_crash(actions: Any) -> Any:
        original(actions)  # the CRM has the writes...
        raise TransportDown("connection reset before the response arrived")  # ...we never hear back

    h.crm.deliver = write_then_crash  # type: ignore[method-assign]
    h.cycle()
    assert len(h.actions("retrying")) == 2
    h.crm.deliver = original  # type: ignore[method-assign]
    h.clock.advance(minutes=10)
    assert h.cycle().delivery.counts["delivered"] == 2
    assert len(h.crm.writes) == 2  # the retry carried the same external ids: upserted, not duplicated


def test_a_spent_api_budget_defers_without_spending_attempts(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.crm.budget_left = 1
    report = h.cycle()
    assert report.delivery.counts == {"delivered": 1, "deferred": 1}
    (owed,) = h.actions("pending")
    assert owed.attempts == 0 and "budget" in (owed.last_error or "")
    h.crm.budget_left = 0  # spent before the batch starts: the adapter raises, nothing is attempted
    h.clock.advance(minutes=1)
    assert h.cycle().delivery.counts == {"deferred": 1}
    h.crm.budget_left = None
    assert (
        h.cycle().delivery.counts == {}
    )  # a deferred action waits delivery.backoff before it is offered again
    h.clock.advance(minutes=1)
    assert h.cycle().delivery.counts["delivered"] == 1
    assert len(h.crm.writes) == 2


def test_a_failed_poll_fails_the_cycle_and_keeps_the_cursor(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.crm.poll_error = ConnectorError("503 Service Unavailable")
    report = h.cycle()
    assert not report.ok and "503" in report.errors[0]
    h.crm.poll_error = None
    assert len(h.cycle().planned) == 2


def test_due_timers_wait_for_a_cycle_that_can_read_the_crm(h: Harness) -> None:
    """A plan written while the CRM could not be polled must cancel the reminder, not be overtaken by
    a reminder decided on the copy stored before."""
    h.crm.put(STREAM, sli())
    h.cycle()  # alerts go out; the 24-hour reminder is armed
    h.clock.advance(hours=23)
    h.crm.update(STREAM, sli()["Id"], Intervention_Plan__c="Call the family daily")
    h.crm.poll_error = ConnectorError("503 Service Unavailable")
    h.clock.advance(hours=2)  # the reminder is due, but the CRM cannot be read
    waiting = h.cycle()
    assert waiting.waiting == {STREAM: 1} and waiting.decisions == {}
    assert [o.state for o in h.outcomes() if o.rule_id == "reminder"] == ["armed"]
    h.crm.poll_error = None
    h.clock.advance(minutes=5)
    read = h.cycle()
    assert [o.state for o in h.outcomes() if o.rule_id == "reminder"] == ["cancelled"]
    assert not [a for a in read.planned if a.rule_id == "reminder"]
    assert not [w for w in h.crm.writes.values() if w["subject"].startswith("Plan missing")]


def test_a_crash_inside_a_page_commits_nothing_of_it(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    h.crm.put(STREAM, sli())

    def boom(*_: Any) -> None:
        raise RuntimeError("power loss")

    monkeypatch.setattr(Cursors, "set", boom)
    failed = h.cycle()
    assert not failed.ok and "RuntimeError: power loss" in failed.errors[0]
    assert h.actions() == [] and h.record(sli()["Id"]) is None
    monkeypatch.undo()
    assert len(h.cycle().planned) == 2
    assert len(h.actions()) == 2


def test_only_due_records_are_touched_by_the_timer_pass(h: Harness) -> None:
    for n in range(1, 6):
        h.crm.put(STREAM, sli(n, CreatedDate=(T0 + timedelta(hours=n)).isoformat()))
    h.cycle()
    h.clock.advance(hours=26, minutes=30)  # records 1 and 2 are due
    with h.store.transaction() as tx:
        due = tx.records.due(h.clock(), None, 100)
    assert [r.record_id for r in due] == [sli(1)["Id"], sli(2)["Id"]]
    assert len(h.cycle().planned) == 2


def test_status_reports_timers_failures_and_runs(h: Harness) -> None:
    from sync.status import collect_status, format_status

    h.crm.put(STREAM, sli())
    h.crm.fail_next = [DeliveryResult.failed("?", "INVALID_EMAIL_ADDRESS", retryable=False)]
    h.cycle()
    with h.store.transaction() as tx:
        status = collect_status(tx)
    assert status["pending_timers"]["count"] == 1
    assert status["pending_timers"]["next"][0]["rule"] == "reminder"
    assert status["actions"]["counts"] == {"dead": 1, "delivered": 1}
    assert status["actions"]["dead"][0]["error"] == "INVALID_EMAIL_ADDRESS"
    assert status["runs"][0]["status"] == "ok"
    assert status["cursors"][0]["stream"] == STREAM
    text = format_status(status)
    assert "Next timers (1 pending)" in text and "INVALID_EMAIL_ADDRESS" in text


def test_a_rules_clock_ahead_of_the_wall_clock_still_delivers_in_the_same_cycle(
    write_config: Callable[..., Path], database_url: str, clock: Clock
) -> None:
    """`run --once --now <future>`: what the rules plan is owed now, by the wall clock."""
    from tests.engine.harness import build_harness

    h = build_harness(write_config(RULES), database_url, clock)
    h.engine.rules_clock = lambda: T0 + timedelta(days=2)
    h.crm.put(STREAM, sli())
    report = h.cycle()
    assert len(report.planned) == 3 and report.delivery.counts["delivered"] == 3
    (planned,) = {a.planned_at for a in h.actions()}
    assert planned == T0
    h.store.close()


def test_a_record_that_breaks_evaluation_does_not_block_the_stream(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.engine

    real = sync.engine.evaluate

    def fragile(ruleset: Any, stream: Any, record: Any, *args: Any) -> Any:
        if record["Id"] == sli(1)["Id"]:
            raise KeyError("a shape no rule foresaw")
        return real(ruleset, stream, record, *args)

    monkeypatch.setattr(sync.engine, "evaluate", fragile)
    h.crm.put(STREAM, sli(1))
    h.crm.put(STREAM, sli(2))
    report = h.cycle()
    assert not report.ok and "evaluation failed: KeyError" in report.errors[0]
    assert {a.record_id for a in report.planned} == {sli(2)["Id"]}  # the other record went ahead
    monkeypatch.setattr(sync.engine, "evaluate", real)
    h.clock.advance(minutes=5)  # the next cycle re-checks the stored record, without a new poll of it
    again = h.cycle()
    assert again.polled == {} and {a.record_id for a in again.planned} == {sli(1)["Id"]}


def test_a_first_poll_without_since_refuses_records_already_there(h: Harness) -> None:
    h.engine.backfill = False
    h.crm.put(STREAM, sli())
    with pytest.raises(
        FirstRunRefused, match=r"Set salesforce.streams.sli.since .* or run once with --backfill"
    ):
        h.cycle()
    assert h.actions() == [] and h.record(sli()["Id"]) is None
    with pytest.raises(FirstRunRefused):  # still refused: nothing was taken as read
        h.cycle()
    h.engine.backfill = True
    assert len(h.cycle().planned) == 2


def test_a_first_poll_of_an_empty_stream_makes_it_known(h: Harness) -> None:
    h.engine.backfill = False
    assert h.cycle().ok  # nothing there yet: from now on every record is new
    h.crm.put(STREAM, sli())
    assert len(h.cycle().planned) == 2


def test_a_reread_page_of_unchanged_records_costs_a_few_statements(h: Harness) -> None:
    """The overlap re-reads records: unchanged ones are neither re-evaluated nor written."""
    for n in range(1, 101):
        h.crm.put(STREAM, sli(n))
    h.cycle()
    with h.store.transaction() as tx:
        tx.cursors.set(STREAM, None, T0)  # the next poll reads all 100 again
    again, cycle = _statements(h)
    assert again.polled[STREAM] == 100 and again.unchanged[STREAM] == 100 and again.planned == []
    assert len(cycle) <= 6, cycle  # cursor, records of the page, cursor write, due timers: never per record


def test_a_due_timer_rereads_its_records_in_one_call_per_batch(h: Harness) -> None:
    for n in range(1, 31):
        h.crm.put(STREAM, sli(n))
    h.cycle()
    h.clock.advance(hours=25)
    h.crm.calls.clear()
    report = h.cycle(deliver=False)
    assert report.reread == {STREAM: 30} and ("reread", 30) in h.crm.calls
    assert [c for c in h.crm.calls if c[0] == "reread"] == [("reread", 30)]
    assert len([a for a in report.planned if a.rule_id == "reminder"]) == 30


def test_a_record_gone_from_the_crm_by_its_due_time_fires_nothing(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.cycle()
    del h.crm.records[STREAM][sli()["Id"]]  # gone without a deletion the poll would report
    h.clock.advance(hours=25)
    report = h.cycle()
    assert report.deleted == {STREAM: 1} and not [a for a in report.planned if a.rule_id == "reminder"]
    assert [o.state for o in h.outcomes() if o.rule_id == "reminder"] == ["cancelled"]


def test_due_timers_wait_when_their_records_cannot_be_read_again(h: Harness) -> None:
    h.crm.put(STREAM, sli())
    h.cycle()
    h.clock.advance(hours=25)
    h.crm.reread_error = ConnectorError("503 Service Unavailable")
    report = h.cycle()
    assert report.waiting == {STREAM: 1} and "due timers wait" in report.errors[0]
    assert [o.state for o in h.outcomes() if o.rule_id == "reminder"] == ["armed"]
    h.crm.reread_error = None
    h.clock.advance(minutes=5)
    assert len([a for a in h.cycle().planned if a.rule_id == "reminder"]) == 1


def test_a_page_of_new_records_costs_a_handful_of_statements(h: Harness) -> None:
    """Snapshots, outcomes and owed actions of a page are written in batches, not per record."""
    for n in range(1, 101):
        h.crm.put(STREAM, sli(n))
    report, cycle = _statements(h)
    assert report.polled[STREAM] == 100 and report.planned_count == 200
    assert len(cycle) <= 15, "\n".join(s.split("\n")[0][:80] for s in cycle)


def test_a_page_whose_records_carry_notices_costs_a_handful_of_statements(h: Harness) -> None:
    """A notice per record (a recipient without an email) must not flush the page record by record."""
    no_email = {"Regional_Director__c": "005B", "Regional_Director__r": {"Email": None, "IsActive": True}}
    for n in range(1, 101):
        h.crm.put(STREAM, sli(n, Office__r=no_email))
    report, cycle = _statements(h)
    assert report.polled[STREAM] == 100 and report.planned_count == 100
    with h.store.transaction() as tx:
        assert len(tx.inspect.notices(f"{STREAM}:{sli(7)['Id']}")) == 1
    assert len(cycle) <= 15, "\n".join(s.split("\n")[0][:80] for s in cycle)


def _statements(h: Harness) -> tuple[CycleReport, list[str]]:
    """A cycle without delivery, and the SQL it ran (less the once-a-cycle bookkeeping)."""
    import sqlalchemy as sa

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(h.store.database, "before_cursor_execute", count)
    report = h.cycle(deliver=False)
    sa.event.remove(h.store.database, "before_cursor_execute", count)
    per_cycle = ("runs", "applied_rules")  # bookkeeping once a cycle, not per page or record
    return report, [
        s for s in statements if not any(t in s for t in per_cycle) and not s.startswith(("BEGIN", "COMMIT"))
    ]
