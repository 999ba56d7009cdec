"""How the doctor's results are shown: one line per check (fix beneath), or JSON; and its exit code."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sync.connectors.checks import CheckResult

LABELS = {"ok": "ok", "warning": "WARNING", "blocker": "BLOCKER"}


def exit_code(results: Sequence[CheckResult]) -> int:
    """0 when nothing blocks the first run, 1 otherwise."""
    return 1 if any(r.blocks for r in results) else 0


def summary(results: Sequence[CheckResult]) -> str:
    counts = {status: sum(r.status == status for r in results) for status in LABELS}
    verdict = (
        "blocked: fix the blockers, then run it again" if exit_code(results) else "ready for the first run"
    )
    return f"{counts['ok']} ok, {counts['warning']} warning(s), {counts['blocker']} blocker(s): {verdict}"


def format_lines(results: Sequence[CheckResult]) -> str:
    """``STATUS  crm  name: message`` per check, each fix indented under its line, then a summary."""
    width = max((len(r.crm) for r in results), default=0)
    lines = []
    for r in results:
        lines.append(f"{LABELS[r.status]:<7}  {r.crm:<{width}}  {r.name}: {r.message}")
        if r.fix and r.status != "ok":
            lines.append(f"{'':<7}  {'':<{width}}  fix: {r.fix}")
    lines.append(summary(results))
    return "\n".join(lines)


def format_json(results: Sequence[CheckResult]) -> str:
    return json.dumps({"ok": not exit_code(results), "checks": [r.as_dict() for r in results]}, indent=2)
