"""Preflight check results: what ``crm-sync doctor`` reports, one line per check.

Pure data. Each adapter declares its own checks (``ConnectorSpec.checks``) and answers them with these
results; the doctor only runs them and prints what they say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeVar

Status = Literal["ok", "warning", "blocker"]
STATUSES: tuple[Status, ...] = ("ok", "warning", "blocker")


@dataclass(frozen=True)
class CheckResult:
    """One check: ``ok``, a ``warning`` (the worker runs, but something will go wrong or cost more) or
    a ``blocker`` (the first run would fail or lose actions), with the ``fix`` an admin applies."""

    crm: str
    name: str
    status: Status
    message: str
    fix: str | None = None

    @property
    def blocks(self) -> bool:
        return self.status == "blocker"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Checks:
    """The results of one CRM's checks, built up in order (``ok``/``warn``/``block``)."""

    def __init__(self, crm: str) -> None:
        self.crm = crm
        self.results: list[CheckResult] = []

    def ok(self, name: str, message: str) -> CheckResult:
        return self._add(CheckResult(self.crm, name, "ok", message))

    def warn(self, name: str, message: str, fix: str) -> CheckResult:
        return self._add(CheckResult(self.crm, name, "warning", message, fix))

    def block(self, name: str, message: str, fix: str) -> CheckResult:
        return self._add(CheckResult(self.crm, name, "blocker", message, fix))

    def _add(self, result: CheckResult) -> CheckResult:
        self.results.append(result)
        return result

    @property
    def blocked(self) -> bool:
        return any(r.blocks for r in self.results)

    def __iter__(self) -> Iterator[CheckResult]:
        return iter(self.results)


C = TypeVar("C")
Check = Callable[[C, Checks], None]


def run_checks(crm: str, context: C, checks: Sequence[Check[C]]) -> list[CheckResult]:
    """Run ``checks`` in order on ``context``; a check that raises is a blocker naming the error, and
    the others still run (each check reads what it needs by itself)."""
    results = Checks(crm)
    for check in checks:
        try:
            check(context, results)
        except Exception as exc:
            name = getattr(check, "__name__", "check").removeprefix("check_").replace("_", " ")
            results.block(
                name,
                f"could not be checked: {type(exc).__name__}: {exc}",
                "fix the error above and run crm-sync doctor again",
            )
    return results.results


def worst(results: Iterable[CheckResult]) -> Status:
    """The most serious status among ``results`` (``ok`` when there are none)."""
    found = {r.status for r in results}
    return next((s for s in reversed(STATUSES) if s in found), "ok")
