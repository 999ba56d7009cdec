"""Idle cycles: nothing changed since the last cycle, the clocks moved past the polling overlap.

Used after a burst (``idle-after-burst``) and over many tracked records (``idle-tracked``). In this
fresh process, as a cron ``run --once`` would be: a warm-up cycle on an empty sandbox and store
(imports, compiled statements), then the measured idle cycle, the sandbox's and the engine's clocks
first moved past the overlap, then the baseline: an empty cycle, a fresh worker's first over an empty
sandbox and store. What the tracked state costs is the difference.
"""

from __future__ import annotations

from bench import databases
from bench.harness import CONFIG, HostClient, Worker, host_from_env
from bench.hosts import environment, sandbox_host
from bench.measure import peak_rss_mb, sampled
from bench.minimum import minimum
from bench.result import Result, call_rows, work_of
from bench.scenarios import Context
from bench.scenarios.cycle import result_of
from sandbox.clock import MovableClock
from sync.connectors.registry import load_config

MARGIN_S = 300  # moved this far past the overlap


def empty_worker(env: dict[str, str], db_url: str) -> Worker:
    """A worker with fresh adapters on the sandbox of ``env`` (which holds no records)."""
    host = HostClient(env["HUBSPOT_BASE_URL"], env["CRM_SYNC_CA_BUNDLE"])
    with environment(env):
        ruleset = load_config(CONFIG)
    clock = MovableClock(host.now())
    host.close()
    return Worker(db_url, clock, ruleset)


def measure_idle(ctx: Context, names: tuple[str, ...]) -> list[Result]:
    """One measured cycle per name, the clocks moved past the overlap before each: after a burst,
    the first re-reads the last poll's overlap window (the burst, at a search page per 200 records),
    the second finds nothing left to read."""
    host = host_from_env()
    clock = MovableClock(host.now())
    worker = Worker(ctx.db_url, clock)
    kind = databases.kind_of(ctx.db_url)
    results = []
    with sandbox_host() as env, databases.temporary(kind) as warm_url, databases.temporary(kind) as empty_url:
        warm = empty_worker(env, warm_url)
        warm.engine.run_cycle()
        warm.close()
        for name in names:
            clock.now = host.advance(worker.overlap_s + MARGIN_S)
            waiting = worker.sends_waiting()
            start, since = host.log_position(), clock()
            worker.reset_polled()
            with sampled(worker.sql) as idle:
                report = worker.engine.run_cycle()
            calls = host.calls(start)
            actions = worker.actions_attempted(since)
            empty = empty_worker(env, empty_url)
            with sampled(empty.sql) as baseline:
                empty.engine.run_cycle()
            empty.close()
            need = minimum(
                work_of(worker.ruleset, {}, actions, fresh_session=name == names[0], sends_to_confirm=waiting)
            )
            records = worker.polled()[1]
            notes = [f"re-read {records} records; delivery {dict(report.delivery.counts) or 'none'}"]
            result = result_of(
                ctx, name, call_rows(calls, need), idle, peak_rss_mb(), worker, report, notes, baseline
            )
            results.append(result)
    worker.close()
    host.close()
    return results


def after_burst(ctx: Context) -> list[Result]:
    return measure_idle(ctx, ("overlap-after-burst", "idle-after-burst"))


def over_tracked(ctx: Context) -> list[Result]:
    [result] = measure_idle(ctx, ("idle-tracked",))
    result.notes.insert(0, f"{ctx.tracked:,} tracked records")
    return [result]
