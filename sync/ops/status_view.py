"""``crm-sync status`` for a person: rich tables (colour only on a terminal), times with their ages."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

SHOWN = 15
OUTCOME_STYLE = {
    "ok": "green",
    "failed": "red",
    "interrupted": "yellow",
    "running": "cyan",
    "dead": "red",
    "retrying": "yellow",
    "pending": "cyan",
    "delivered": "green",
}


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def age(value: datetime, now: datetime) -> str:
    """``3m ago``, ``in 2h``, ``5d ago``."""
    seconds = int((now - value).total_seconds())
    ahead, seconds = seconds < 0, abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            amount = f"{seconds // size}{unit}"
            break
    else:
        amount = f"{seconds}s"
    return f"in {amount}" if ahead else f"{amount} ago"


def when(text: Any, now: datetime) -> str:
    """An ISO time as ``2026-12-01 09:00 UTC (3m ago)``; anything else as it is; none as ``-``."""
    moment = _time(text)
    if moment is None:
        return "-" if text in (None, "") else str(text)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({age(moment, now)})"


def _cursor(value: Any, now: datetime) -> str:
    """A stream's cursor: its times with their ages, other parts as they are."""
    if value is None:
        return "start (nothing polled yet)"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {when(v, now)}" for k, v in value.items()) or "start"
    if isinstance(value, list):
        return ", ".join(_cursor(v, now) for v in value)
    return when(value, now)


def _duration(run: Mapping[str, Any]) -> str:
    start, end = _time(run.get("started_at")), _time(run.get("finished_at"))
    return f"{(end - start).total_seconds():.1f}s" if start and end else "-"


def _styled(value: str) -> Text:
    return Text(value, style=OUTCOME_STYLE.get(value, ""))


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", expand=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def renderables(status: Mapping[str, Any], now: datetime) -> list[Any]:
    out: list[Any] = []
    daemons = status.get("daemons") or []
    processes = _table("Daemons", "role", "host:pid", "connected")
    for d in daemons:
        processes.add_row(_styled(d["role"]), d["name"], when(d.get("since"), now))
    if not daemons:
        processes.add_row("-", "no crm-sync is running", "-")
    out.append(processes)

    cursors = _table("Cursors", "stream", "position", "updated")
    for c in status["cursors"]:
        cursors.add_row(c["stream"], _cursor(c["cursor"], now), when(c["updated_at"], now))
    if not status["cursors"]:
        cursors.add_row("-", "no stream polled yet", "-")
    out.append(cursors)

    runs = _table(
        "Last runs", "run", "mode", "outcome", "started", "took", "read", "planned", "delivery", "error"
    )
    for r in status["runs"][:SHOWN]:
        summary = r.get("summary") or {}
        delivery = {k: v for k, v in (summary.get("delivery") or {}).items() if k != "errors"}
        runs.add_row(
            str(r["id"]),
            r["mode"] or "",
            _styled(r["status"]),
            when(r["started_at"], now),
            _duration(r),
            str(sum((summary.get("polled") or {}).values())) if summary else "-",
            str(summary.get("planned", "-")),
            ", ".join(f"{k} {v}" for k, v in sorted(delivery.items())) or "-",
            (r.get("error") or "")[:200],
        )
    if not status["runs"]:
        runs.add_row("-", "", "never ran", "", "", "", "", "", "")
    out.append(runs)

    actions = status["actions"]
    backlog = _table("Ledger", "status", "actions")
    for name, count in sorted(actions["counts"].items()):
        backlog.add_row(_styled(name), str(count))
    if not actions["counts"]:
        backlog.add_row("-", "no action planned yet")
    out.append(backlog)

    timers = status["pending_timers"]
    due = _table(f"Next timers ({timers['count']} pending)", "due", "rule", "record")
    for t in timers["next"][:SHOWN]:
        due.add_row(when(t["due_at"], now), t["rule"], t["record"])
    out.append(due)

    for label in ("dead", "retrying"):
        rows = actions[label]
        if not rows:
            continue
        table = _table(f"{label.capitalize()} actions ({len(rows)})", "action", "attempts", "next", "error")
        for a in rows[:SHOWN]:
            table.add_row(
                a["key"], str(a["attempts"]), when(a["next_attempt_at"], now), (a["error"] or "")[:300]
            )
        out.append(table)
        if label == "dead" and status.get("retry_dead_command"):
            out.append(
                Text(f"To retry them after fixing the cause: {status['retry_dead_command']}", style="bold")
            )

    unconfirmed = actions.get("unconfirmed") or []
    if unconfirmed:
        table = _table(
            f"Unconfirmed sends ({len(unconfirmed)}): sent, the CRM never gave a final status",
            "action",
            "send status id",
            "error",
        )
        for a in unconfirmed[:SHOWN]:
            table.add_row(a["key"], str(a.get("crm_id") or ""), (a["error"] or "")[:300])
        out.append(table)

    if status["rejected_records"]:
        table = _table(
            f"Rejected records ({len(status['rejected_records'])})", "record", "reason", "last seen"
        )
        for r in status["rejected_records"][:SHOWN]:
            table.add_row(r["record"], r["reason"], when(r["last_at"], now))
        out.append(table)
    if status["notices"]:
        table = _table(f"Notices ({len(status['notices'])})", "kind", "record", "rule", "message", "times")
        for n in status["notices"][:SHOWN]:
            table.add_row(n["kind"], n["record"], n["rule"], n["message"], str(n["count"]))
        out.append(table)
    return out


PIPED_WIDTH = 160


def print_status(status: Mapping[str, Any], now: datetime, console: Console | None = None) -> None:
    """Print the status; colour only when the console is a terminal (rich decides, ``NO_COLOR`` honoured).
    Piped or logged, the tables are laid out at ``PIPED_WIDTH`` columns rather than rich's 80, which wraps
    record keys and messages over several lines."""
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=PIPED_WIDTH)
    console.print(Group(*renderables(status, now)))


def status_text(status: Mapping[str, Any], now: datetime, width: int = 160) -> str:
    """The status as plain text (no colour): for tests and pipes."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    print_status(status, now, console)
    return buffer.getvalue()
