"""One measured cycle of the real worker against freshly seeded data (burst, backfill)."""

from __future__ import annotations

from bench.harness import Worker, host_from_env
from bench.measure import Sample, peak_rss_mb, sampled
from bench.minimum import minimum
from bench.result import Result, call_rows, work_of
from bench.scenarios import Context
from sandbox.clock import MovableClock
from sync.engine import CycleReport


def measured_cycle(
    ctx: Context, name: str, slis: int, responses: int, spread_s: float, deliver: bool = True
) -> Result:
    """Seed ``slis`` and ``responses`` changed over the last ``spread_s`` seconds, then measure the
    first cycle of a fresh worker over them (the process's first: it logs in)."""
    host = host_from_env()
    seeded = host.seed(slis=slis, responses=responses, spread_s=spread_s)
    clock = MovableClock(host.now())
    worker = Worker(ctx.db_url, clock)
    start, since = host.log_position(), clock()
    with sampled(worker.sql) as sample:
        report = worker.engine.run_cycle(deliver=deliver)
    rss = peak_rss_mb()
    calls = host.calls(start)
    actions = worker.actions_attempted(since)
    need = minimum(work_of(worker.ruleset, seeded, actions, fresh_session=True))
    notes = [f"{report.planned_count} actions planned; delivery {dict(report.delivery.counts) or 'skipped'}"]
    if worker.time.slept:
        notes.append(f"HubSpot pacing asked for {worker.time.slept:.1f}s of waits (not waited)")
    result = result_of(ctx, name, call_rows(calls, need), sample, rss, worker, report, notes)
    worker.close()
    host.close()
    return result


def result_of(
    ctx: Context,
    name: str,
    calls: list[tuple[str, str, int, int]],
    sample: Sample,
    rss: float,
    worker: Worker,
    report: CycleReport,
    notes: list[str],
    baseline: Sample | None = None,
) -> Result:
    """The result of a measured cycle of ``worker`` (and of an empty ``baseline`` cycle, if any)."""
    pages, records = worker.polled()
    return Result(
        scenario=name,
        db=ctx.db,
        scale=ctx.scale,
        calls=calls,
        cpu_s=sample.cpu_s,
        baseline_cpu_s=baseline.cpu_s if baseline else None,
        rss_mb=rss,
        statements=sample.statements,
        ingest_statements=sample.ingest_statements,
        pages=pages,
        records=records,
        actions=report.planned_count,
        wall_s=sample.wall_s,
        notes=[*notes, *(f"error: {e}" for e in report.errors[:5])],
    )
