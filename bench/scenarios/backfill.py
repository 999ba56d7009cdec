"""Backfill: a first cycle over 10,000 NPS answers per 1x from the last 90 days (no ``since``).

Every answer is first seen, so every detractor's actions are planned into the ledger. The cycle runs
without delivery (``run_cycle(deliver=False)``): delivery hands the ledger over in fixed-size batches,
while polling and planning are where memory could grow with the number of actions.
"""

from __future__ import annotations

from bench.result import Result
from bench.scenarios import Context
from bench.scenarios.cycle import measured_cycle

RESPONSES = 10_000
SPREAD_S = 90 * 86400


def run(ctx: Context) -> list[Result]:
    return [measured_cycle(ctx, "backfill", 0, RESPONSES * ctx.scale, SPREAD_S, deliver=False)]
