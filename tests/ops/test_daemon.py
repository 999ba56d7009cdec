"""The daemon's schedule and stop: cron or interval triggers, a bad cron expression located before the
lock is taken, a stop request that lets the batch in flight finish and leaves the rest owed, and a
cycle's log line, metrics and health."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from rules.source import ConfigErrors
from sync.connectors.registry import load_config
from sync.daemon import cycle_trigger
from sync.ops.cycle import ObservedCycles
from sync.ops.health import Health
from sync.ops.metrics import Metrics
from tests.engine.harness import Harness, build_harness
from tests.engine.test_cycle import RULES
from tests.support import Clock, sli_record


@pytest.fixture
def h(write_config: Callable[..., Path], database_url: str, clock: Clock) -> Iterator[Harness]:
    harness = build_harness(write_config(RULES), database_url, clock)
    yield harness
    harness.store.close()


def test_an_interval_or_a_cron_expression_in_the_configs_time_zone(write_config: Callable[..., Path]) -> None:
    every = cycle_trigger(load_config(write_config("rules: []\nschedule: {interval: 2m}\n")))
    assert isinstance(every, IntervalTrigger) and every.interval == timedelta(minutes=2)
    config = write_config("rules: []\nschedule:\n  cron: '*/10 7-19 * * mon-fri'\n").read_text()
    path = write_config("", base=config.replace("timezone: UTC", "timezone: America/New_York"))
    cron = cycle_trigger(load_config(path))
    assert isinstance(cron, CronTrigger) and str(cron.timezone) == "America/New_York"
    assert {f.name: str(f) for f in cron.fields}["hour"] == "7-19"


def test_a_bad_cron_expression_is_a_located_config_error(write_config: Callable[..., Path]) -> None:
    path = write_config("rules: []\nschedule:\n  cron: '*/10 25 * * *'\n")
    with pytest.raises(ConfigErrors) as raised:
        cycle_trigger(load_config(path))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "cron:" in text)
    assert str(raised.value).startswith(f"{path}:{line}:3: schedule.cron: ")


def test_a_cron_without_five_fields_is_refused_by_validation(write_config: Callable[..., Path]) -> None:
    with pytest.raises(ConfigErrors, match="five fields"):
        load_config(write_config("rules: []\nschedule: {cron: '*/5 * *'}\n"))


def test_a_stop_request_leaves_undelivered_actions_owed_for_the_next_cycle(h: Harness) -> None:
    h.crm.put("salesforce.sli", sli_record())
    h.cycle(deliver=False)
    owed = len(h.actions("pending"))
    assert owed > 0
    h.engine.stopping = lambda: True  # SIGTERM arrived: no new batch starts
    report = h.cycle()
    assert report.delivery.counts == {} and not h.crm.writes and len(h.actions("pending")) == owed
    h.engine.stopping = lambda: False
    assert h.cycle().delivery.counts["delivered"] == len(h.actions("delivered")) > 0


def test_an_observed_cycle_logs_one_line_and_feeds_metrics_and_health(
    h: Harness, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    h.crm.put("salesforce.sli", sli_record())
    metrics, health = Metrics(), Health(clock, timedelta(minutes=5), 3)
    health.active()
    with caplog.at_level(logging.INFO, logger="crm-sync.cycle"):
        report = ObservedCycles(h.engine, metrics, health).run()
    (line,) = [r for r in caplog.records if r.name == "crm-sync.cycle"]
    assert line.levelno == logging.INFO and line.run_id == str(report.run_id)  # type: ignore[attr-defined]
    assert line.streams == {  # type: ignore[attr-defined]
        "salesforce.sli": {"read": 1, "unchanged": 0, "reread": 0, "waiting": 0, "rejected": 0}
    }
    assert line.delivered == report.delivery.counts["delivered"] > 0  # type: ignore[attr-defined]
    assert line.getMessage().startswith("cycle ok in ")
    assert health.check()[0] == 200 and health.last_success == clock()
    assert metrics.registry.get_sample_value("crm_sync_cycles_total", {"outcome": "ok"}) == 1
    assert metrics.registry.get_sample_value("crm_sync_ledger_actions", {"status": "delivered"}) == line.delivered  # type: ignore[attr-defined]


def test_a_progress_display_counts_records_read_per_stream(h: Harness) -> None:
    from sync.ops.progress import polling_progress

    seen: list[tuple[str, int]] = []
    for n in range(3):
        h.crm.put("salesforce.sli", sli_record(n + 1))
    with polling_progress(h.engine, enabled=True):
        shown = h.engine.progress
        h.engine.progress = lambda stream, records: (seen.append((stream, records)), shown(stream, records))[-1]
        h.cycle()
    assert sum(n for _, n in seen) == 3 and {s for s, _ in seen} == {"salesforce.sli"}
    with polling_progress(h.engine, enabled=False):  # not a terminal: nothing shown, nothing hooked
        h.engine.progress("salesforce.sli", 1)
