"""Burst: 200 new SLIs and 2,000 new NPS answers per 1x, changed over five minutes, in one cycle."""

from __future__ import annotations

from bench.result import Result
from bench.scenarios import Context
from bench.scenarios.cycle import measured_cycle

SLIS = 200
RESPONSES = 2000
SPREAD_S = 300


def run(ctx: Context) -> list[Result]:
    return [measured_cycle(ctx, "burst", SLIS * ctx.scale, RESPONSES * ctx.scale, SPREAD_S)]
