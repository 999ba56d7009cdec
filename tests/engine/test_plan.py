"""``plan``: armed timers due in the next days, each decided on the stored copy at its due time; and
``plan --compare``: what another configuration changes over the stored records. Nothing is written."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sync.cli import main
from sync.connectors.registry import load_config
from sync.inspect.compare import compare_configs, format_compare
from sync.inspect.plan import due_plan, format_plan
from tests.conftest import BASE_CONFIG
from tests.engine.harness import STREAM, Harness, build_harness
from tests.engine.test_cycle import RULES
from tests.support import T0, Clock
from tests.support import sli_record as sli

ORANGE = """
  - id: orange
    source: salesforce.sli
    after: {field: CreatedDate, delay: 2h}
    when: "record.Client_Status__c == 'Orange'"
    actions:
      - notify: {to: [owner], subject: "Still orange: {{ record.Name }}", template: alert}
"""


def write_other(tmp_path: Path, rules: str) -> Path:
    """A second configuration beside the running one (same templates and store)."""
    path = tmp_path / "other.yaml"
    path.write_text(textwrap.dedent(BASE_CONFIG).strip() + "\n" + textwrap.dedent(rules).strip() + "\n")
    return path


def plan(h: Harness, days: int = 7) -> dict[str, Any]:
    with h.store.transaction() as tx:
        return due_plan(tx, h.ruleset, h.clock(), days)


def compare(h: Harness, other: Path) -> dict[str, Any]:
    with h.store.transaction() as tx:
        return compare_configs(tx, h.ruleset, load_config(other), h.clock())


@pytest.fixture
def h(harness: Callable[..., Harness]) -> Harness:
    return harness(RULES)


def test_timers_due_by_day_and_rule_with_their_recipients(h: Harness) -> None:
    h.crm.put(STREAM, sli(1))
    h.crm.put(STREAM, sli(2, Intervention_Plan__c=None, CreatedDate=(T0 + timedelta(days=10)).isoformat()))
    h.cycle()
    report = plan(h)
    assert report["count"] == 1 and report["overdue"] == []
    ((day,),) = [report["by_day"]]
    assert day["day"] == "2026-03-03" and [r["rule"] for r in day["rules"]] == ["reminder"]
    (timer,) = day["rules"][0]["timers"]
    assert (
        timer["record"] == f"{STREAM}:{sli(1)['Id']}"
        and timer["due_at"] == (T0 + timedelta(hours=24)).isoformat()
    )
    assert timer["then"]["state"] == "fired"
    assert timer["then"]["recipients"] == [{"as": "to", "email": "owner@example.com", "name": "Olive Owner"}]
    assert [a["subject"] for a in timer["then"]["actions"]] == ["Plan missing: Client 1 - No Call No Show"]
    assert plan(h, days=12)["count"] == 2  # the second SLI's reminder (due in 11 days) in a 12-day window
    text = format_plan(report, h.ruleset.timezone)
    assert (
        "2026-03-03 (Tue):" in text and "  reminder (1):" in text and "fires: notify; to Olive Owner" in text
    )
    assert h.outcomes() and {o.state for o in h.outcomes() if o.rule_id == "reminder"} == {"armed"}


def test_an_overdue_timer_and_one_the_stored_copy_would_cancel(h: Harness) -> None:
    h.crm.put(STREAM, sli(1))
    h.cycle()
    with h.store.transaction() as tx:  # the plan was filled in, but no cycle has seen it yet
        row = tx.records.get(f"{STREAM}:{sli(1)['Id']}")
        assert row is not None
        row.snapshot = {**row.snapshot, "Intervention_Plan__c": "Call Friday"}
        tx.records.save(row)
    h.clock.advance(hours=30)
    report = plan(h)
    (overdue,) = report["overdue"]
    assert overdue["rule"] == "reminder" and overdue["then"]["state"] == "cancelled"
    assert "Overdue (the next cycle decides them):" in format_plan(report, h.ruleset.timezone)


def test_nothing_due_says_so(h: Harness) -> None:
    report = plan(h)
    assert report["count"] == 0 and "Nothing is due." in format_plan(report, h.ruleset.timezone)


def test_compare_moves_cancels_and_newly_matches(h: Harness, tmp_path: Path) -> None:
    h.crm.put(STREAM, sli(1))
    h.crm.put(STREAM, sli(2, Client_Status__c="Green"))
    h.cycle()
    h.clock.advance(hours=3)
    assert compare(h, write_other(tmp_path, RULES))["changes"] == []

    longer = compare(h, write_other(tmp_path, RULES.replace("delay: 24h", "delay: 48h")))
    assert {(c["record"][-18:], c["change"]) for c in longer["changes"]} == {
        (sli(1)["Id"], "moves"),
        (sli(2)["Id"], "moves"),
    }
    moved = longer["changes"][0]
    assert moved["before"]["due_at"] == (T0 + timedelta(hours=24)).isoformat()
    assert moved["after"]["due_at"] == (T0 + timedelta(hours=48)).isoformat()
    assert moved["then"]["state"] == "fired" and moved["takes_effect"]["when"] == "at the next cycle"

    stricter = compare(h, write_other(tmp_path, RULES.replace("is not blank", "is not blank or true")))
    assert {c["change"] for c in stricter["changes"]} == {"cancelled"}

    added = compare(h, write_other(tmp_path, RULES + ORANGE))
    (newly,) = added["changes"]  # only the orange SLI, and its 2-hour timer is already past: it fires
    assert (newly["rule"], newly["change"], newly["record"][-18:]) == ("orange", "fires", sli(1)["Id"])
    assert newly["takes_effect"] == {
        "when": "at its next timer",
        "at": (T0 + timedelta(hours=24)).isoformat(),
    }
    assert newly["after"]["recipients"] == [{"as": "to", "email": "owner@example.com", "name": "Olive Owner"}]

    removed = compare(h, write_other(tmp_path, RULES.split("  - id: reminder")[0]))
    assert {(c["rule"], c["change"]) for c in removed["changes"]} == {("reminder", "cancelled")}
    text = format_compare(removed, h.ruleset.timezone)
    assert "Timers cancelled (2):" in text and "the rule is not in this configuration" in text


def test_compare_a_new_timer_that_arms(h: Harness, tmp_path: Path) -> None:
    h.crm.put(STREAM, sli(1))
    h.cycle()
    later = ORANGE.replace("delay: 2h", "delay: 3d")
    (newly,) = compare(h, write_other(tmp_path, RULES + later))["changes"]
    assert newly["change"] == "newly matches" and newly["after"]["state"] == "armed"
    assert newly["after"]["due_at"] == (T0 + timedelta(days=3)).isoformat()
    assert newly["then"]["state"] == "fired"  # at its due time, on the stored copy


# -- the command line: exit codes, JSON, and nothing written ----------------------------------------


@pytest.fixture
def stored(write_config: Callable[..., Path], tmp_path: Path, clock: Clock) -> Iterator[Harness]:
    """A worker's SQLite store where the configuration says it is, with one SLI polled."""
    h = build_harness(write_config(RULES), f"sqlite:///{tmp_path / 'state.db'}", clock)
    h.crm.put(STREAM, sli(1))
    h.cycle()
    yield h
    h.store.close()


def row_counts(url: str) -> dict[str, int]:
    """Rows per table of a database (to show that a command wrote nothing)."""
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        found = {t: connection.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in tables}
    engine.dispose()
    return found


def test_the_commands_read_and_never_write(
    stored: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(tmp_path / "config.yaml")
    before = row_counts(f"sqlite:///{tmp_path / 'state.db'}")
    now = (T0 + timedelta(hours=1)).isoformat()
    assert main(["explain", f"{STREAM}:{sli(1)['Id']}", "--now", now, "-c", config]) == 0
    assert "reminder: armed 2026-03-02 09:00 UTC, due 2026-03-03 09:00 UTC" in capsys.readouterr().out
    assert main(["explain", f"{STREAM}:{sli(1)['Id']}", "--json", "-c", config]) == 0
    assert json.loads(capsys.readouterr().out)["record"] == f"{STREAM}:{sli(1)['Id']}"
    assert main(["plan", "--now", now, "-c", config]) == 0
    assert "reminder (1):" in capsys.readouterr().out
    assert main(["plan", "--json", "--days", "2", "--now", now, "-c", config]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 1
    other = write_other(tmp_path, RULES.replace("delay: 24h", "delay: 48h"))
    assert main(["plan", "--compare", str(other), "--json", "--now", now, "-c", config]) == 0
    assert json.loads(capsys.readouterr().out)["counts"] == {"moves": 1}
    assert row_counts(f"sqlite:///{tmp_path / 'state.db'}") == before
    assert stored.crm.calls == [("poll", 1), ("deliver", 2)]  # the first cycle's; the commands called nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["explain", "nonsense"], "is not STREAM:RECORD_ID"),
        (["explain", "hubspot.nps:1"], "unknown stream 'hubspot.nps'"),
        (["explain", "salesforce.sli:a0XNOPE"], "no record salesforce.sli:a0XNOPE in the store"),
        (["explain", "salesforce.sli:a0XNOPE", "--now", "Tuesday"], "--now 'Tuesday' is not an ISO 8601"),
        (["plan", "--days", "-3"], "--days -3"),
        (["plan", "--compare", "missing.yaml"], "missing.yaml is not a valid configuration"),
        (["plan", "--compare", "broken.yaml"], "rules"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    stored: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    (tmp_path / "broken.yaml").write_text(textwrap.dedent(BASE_CONFIG) + "rules: 7\n")
    args = [str(tmp_path / a) if a.endswith(".yaml") else a for a in args]
    assert main([*args, "-c", str(tmp_path / "config.yaml")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith(f"crm-sync: {args[0]}: "), err


def test_a_store_that_does_not_exist_is_not_created(
    write_config: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_config(RULES))
    assert main(["plan", "-c", config]) == 0 and "Nothing is due." in capsys.readouterr().out
    assert main(["explain", f"{STREAM}:{sli(1)['Id']}", "-c", config]) == 2
    assert not (tmp_path / "state.db").exists()
