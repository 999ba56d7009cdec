"""The reliability/performance targets, each checked against one scenario's :class:`Result`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench.result import Result

#: "Batched: a page costs a handful of statements."
STATEMENTS_PER_PAGE = 10


@dataclass(frozen=True)
class Target:
    """``measure(result)`` must stay at or under ``limit`` (at or over it when ``at_least``)."""

    text: str
    measure: Callable[[Result], float | None]
    limit: float
    at_least: bool = False
    unit: str = ""

    def passed(self, result: Result) -> bool | None:
        """True, False, or None when the result has nothing to check."""
        value = self.measure(result)
        if value is None:
            return None
        return value >= self.limit if self.at_least else value <= self.limit

    def shown(self, result: Result) -> str:
        value = self.measure(result)
        if value is None:
            return f"{self.text}: n/a"
        number = f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:.2f}"
        return f"{self.text}: {number}{self.unit}"


def _ratio(result: Result) -> float | None:
    calls, need = result.total()
    return calls / need if need else None


def _calls(result: Result) -> float | None:
    return float(result.total(sends=True)[0])


def _over_minimum(result: Result) -> float | None:
    calls, need = result.total(sends=True)
    return float(calls - need)


def _above_empty(result: Result) -> float | None:
    if result.cpu_s is None or result.baseline_cpu_s is None:
        return None
    return result.cpu_s - result.baseline_cpu_s


_SQL = Target(f"SQL/page <= {STATEMENTS_PER_PAGE}", lambda r: r.stmts_per_page, STATEMENTS_PER_PAGE)

TARGETS: dict[str, list[Target]] = {
    "burst": [Target("calls <= 1.1x min", _ratio, 1.1, unit="x"), _SQL],
    "idle-after-burst": [
        Target("calls over minimum <= 0", _over_minimum, 0),
        Target("CPU over empty < 0.5", _above_empty, 0.4999, unit=" s"),
    ],
    "overlap-after-burst": [Target("SQL/page <= 10", lambda r: r.stmts_per_page, STATEMENTS_PER_PAGE)],
    "idle-tracked": [
        Target("calls <= 10", _calls, 10),
        Target("CPU <= 1.7", lambda r: r.cpu_s, 1.7, unit=" s"),
    ],
    "backfill": [Target("RSS < 200 MB", lambda r: r.rss_mb, 199.999, unit=" MB"), _SQL],
    "evaluation (SLI)": [Target("evals/s >= 50,000", lambda r: r.evals_per_s, 50_000, at_least=True)],
    "evaluation (NPS)": [Target("evals/s >= 50,000", lambda r: r.evals_per_s, 50_000, at_least=True)],
    "evaluation (SLI, decided)": [
        Target("evals/s >= 50,000", lambda r: r.evals_per_s, 50_000, at_least=True)
    ],
    "evaluation (NPS, decided)": [
        Target("evals/s >= 50,000", lambda r: r.evals_per_s, 50_000, at_least=True)
    ],
}


def targets_for(result: Result) -> list[Target]:
    return TARGETS.get(result.scenario, [])
