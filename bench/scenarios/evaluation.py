"""Rule evaluation throughput: ``rules.evaluate.evaluate`` on records as the adapters deliver them.

200 SLIs and 550 NPS answers are seeded and polled through the real adapters; each record is then
evaluated with the portal's teams until ``EVALUATIONS`` x scale record-rule evaluations per stream are
done, twice:

- as first seen (empty history: every rule is decided, firings planned and their emails rendered);
- as changed after that (its history holds those decisions: what a re-read record, a due timer that
  finds nothing to do, or an edit costs), labelled "decided".

Rate: record-rule evaluations per CPU second of this (single-threaded) process.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Any

from bench.harness import Worker, host_from_env
from bench.measure import peak_rss_mb
from bench.result import Result
from bench.scenarios import Context
from notifications.recipients import Directory
from rules.evaluate import History, evaluate
from rules.model import RuleSet, Stream
from sandbox.clock import MovableClock
from sync.policy.rotation import next_in_turn

SLIS = 200
RESPONSES = 550
EVALUATIONS = 10_000


def directory(ruleset: RuleSet, teams: dict[str, list[dict[str, Any]]]) -> Directory:
    """The portal's teams, and the first member of each round-robin team as the next in turn."""
    turns = {}
    for role in ruleset.roles.values():
        member = next_in_turn(teams.get(role.round_robin, ()), None) if role.round_robin else None
        if role.round_robin and member is not None:
            turns[role.round_robin] = member
    return Directory(teams=teams, next_in_turn=turns)


def decided_history(
    ruleset: RuleSet, stream: Stream, record: dict[str, Any], now: datetime, people: Directory
) -> History:
    """The history a record has once its first evaluation is stored (the record changed since)."""
    evaluation = evaluate(ruleset, stream, record, History(), now, people)
    outcomes = {(d.rule_id, d.occurrence): d.outcome for d in evaluation.decisions}
    return History(first_seen=now, previous={**record, "_changed": True}, outcomes=outcomes)


def run(ctx: Context) -> list[Result]:
    host = host_from_env()
    host.seed(slis=SLIS, responses=RESPONSES, spread_s=300)
    clock = MovableClock(host.now())
    worker = Worker("sqlite://", clock)
    teams = worker.adapters["hubspot"].teams()
    people = directory(worker.ruleset, teams)
    results = []
    for stream in worker.ruleset.active_streams:
        records = [r for page in worker.adapters[stream.crm].poll(stream, None) for r in page.records]
        rules = len(worker.ruleset.rules_for(stream.name))
        rounds = math.ceil(EVALUATIONS * ctx.scale / max(1, len(records) * rules))
        now = clock()
        first = [History() for _ in records]
        decided = [decided_history(worker.ruleset, stream, r, now, people) for r in records]
        label = stream.name.split(".", 1)[1].upper()
        for name, histories in ((label, first), (f"{label}, decided", decided)):
            started = time.process_time()
            for _ in range(rounds):
                for record, history in zip(records, histories, strict=True):
                    evaluate(worker.ruleset, stream, record, history, now, people)
            cpu = time.process_time() - started
            evaluations = rounds * len(records) * rules
            results.append(
                Result(
                    scenario=f"evaluation ({name})",
                    db="-",
                    scale=ctx.scale,
                    cpu_s=cpu,
                    records=len(records),
                    evals_per_s=evaluations / cpu if cpu else None,
                    notes=[f"{evaluations:,} evaluations: {len(records)} records x {rules} rules x {rounds}"],
                )
            )
    rss = peak_rss_mb()
    for result in results:
        result.rss_mb = rss
    worker.close()
    host.close()
    return results
