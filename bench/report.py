"""The one results table: per scenario and database, its totals and targets, then calls per endpoint.

Printed with ``rich`` on a terminal when it is installed (it comes with the dev tools), else as a
Markdown table, which is also what ``--markdown`` prints (for ``bench/RESULTS.md``).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Sequence

from bench.result import Result
from bench.targets import targets_for

HEADERS = (
    "scenario",
    "db",
    "CRM endpoint",
    "calls",
    "min",
    "ratio",
    "CPU s",
    "peak RSS MB",
    "SQL",
    "SQL/rec",
    "evals/s",
    "target",
    "result",
)


def _ratio(calls: int, need: int) -> str:
    if not need:
        return f"+{calls}" if calls else ""
    return f"{calls / need:.2f}x"


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def _cpu(result: Result) -> str:
    if result.cpu_s is None:
        return ""
    if result.baseline_cpu_s is None:
        return f"{result.cpu_s:.2f}"
    return f"{result.cpu_s:.2f} (empty {result.baseline_cpu_s:.2f})"


def _verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "MISS", None: "n/a"}[passed]


def _summary(result: Result) -> list[list[str]]:
    """The result's totals with its first target, then one row per further target."""
    calls, need = result.total()
    targets = targets_for(result)
    first = targets[0] if targets else None
    rows = [
        [
            result.scenario,
            result.db,
            "all but one-per-email sends" if result.calls else "",
            str(calls) if result.calls else "",
            str(need) if result.calls else "",
            _ratio(calls, need) if result.calls else "",
            _cpu(result),
            _num(result.rss_mb),
            _num(result.statements),
            _num(result.stmts_per_record, 2),
            _num(result.evals_per_s),
            first.shown(result) if first else "",
            _verdict(first.passed(result)) if first else "",
        ]
    ]
    for target in targets[1:]:
        rows.append(["", "", *[""] * 9, target.shown(result), _verdict(target.passed(result))])
    return rows


def _endpoints(result: Result) -> list[list[str]]:
    return [
        ["", "", f"{crm} {label}", str(calls), str(need), _ratio(calls, need), *[""] * 7]
        for crm, label, calls, need in result.calls
    ]


def rows(results: Sequence[Result]) -> list[list[str]]:
    """Every row of the table; a scenario's endpoint rows are shown once unless a database differs."""
    out: list[list[str]] = []
    shown: dict[str, list[tuple[str, str, int, int]]] = {}
    for result in results:
        out.extend(_summary(result))
        if result.calls and shown.get(result.scenario) != result.calls:
            out.extend(_endpoints(result))
            shown.setdefault(result.scenario, result.calls)
        elif result.calls:
            out.append(["", "", "(calls per endpoint as above)", *[""] * 10])
    return out


def notes(results: Iterable[Result]) -> list[str]:
    return [f"{r.scenario} [{r.db}]: {note}" for r in results for note in r.notes]


def markdown(results: Sequence[Result]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows(results)]
    return "\n".join(lines)


def render(results: Sequence[Result], title: str, as_markdown: bool = False) -> None:
    """Print the table (rich when available and not asked for Markdown), then the notes."""
    try:
        if as_markdown or not sys.stdout.isatty():
            raise ImportError
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(f"{title}\n\n{markdown(results)}\n")
        print("\n".join(f"- {n}" for n in notes(results)))
        return
    table = Table(title=title, show_lines=False)
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for row in rows(results):
        table.add_row(*row)
    console = Console()
    console.width = max(console.width, 200)
    console.print(table)
    for note in notes(results):
        console.print(f"- {note}", highlight=False)


def machine() -> str:
    """One line about where the numbers come from."""
    model = ""
    try:
        with open("/proc/cpuinfo") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), ""
            )
    except OSError:
        model = platform.processor()
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout.split(
            "\n"
        )[1]
        total = memory.split()[1]
    except (OSError, IndexError):
        total = "?"
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model or 'unknown'}), {total} RAM, Python {platform.python_version()}, "
        f"load average {load} at the end"
    )
