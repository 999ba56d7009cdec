"""``crm-sync status``: what the worker knows, as data (``--json``); :mod:`sync.ops.status_view` shows
it to a person."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sync.store.transaction import Transaction

LIST_LIMIT = 50
RECENT_RUNS = 10


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def collect_status(tx: Transaction) -> dict[str, Any]:
    """Cursors, recent runs, pending timers by due time, ledger counts, failing actions, rejections, notices."""
    queries = tx.status
    cursors = [
        {"stream": row.stream, "cursor": row.cursor, "updated_at": _iso(row.updated_at)}
        for row in queries.cursors()
    ]
    runs = [
        {
            "id": row.id,
            "mode": row.mode,
            "status": row.status,
            "started_at": _iso(row.started_at),
            "finished_at": _iso(row.finished_at),
            "rules_now": _iso(row.rules_now),
            "summary": row.summary,
            "error": row.error,
        }
        for row in queries.recent_runs(RECENT_RUNS)
    ]
    timers = [
        {
            "due_at": _iso(row.due_at),
            "rule": row.rule_id,
            "record": row.record_key,
            "occurrence": row.occurrence,
            "armed_at": _iso(row.armed_at),
        }
        for row in queries.armed_timers(LIST_LIMIT)
    ]

    def actions(status: str) -> list[dict[str, Any]]:
        return [
            {
                "key": row.key,
                "kind": row.kind,
                "target": row.target,
                "attempts": row.attempts,
                "next_attempt_at": _iso(row.next_attempt_at),
                "error": row.last_error,
                "crm_id": row.crm_id,
            }
            for row in queries.actions(status, LIST_LIMIT)
        ]

    rejections = [
        {
            "record": row.record_key,
            "reason": row.reason,
            "first_at": _iso(row.first_at),
            "last_at": _iso(row.last_at),
        }
        for row in queries.rejections(LIST_LIMIT)
    ]
    notices = [
        {
            "record": row.record_key,
            "rule": row.rule_id,
            "kind": row.kind,
            "message": row.message,
            "count": row.count,
            "last_at": _iso(row.last_at),
        }
        for row in queries.notices(LIST_LIMIT)
    ]
    return {
        "cursors": cursors,
        "runs": runs,
        "pending_timers": {"count": queries.armed_count(), "next": timers},
        "actions": {
            "counts": queries.action_counts(),
            "retrying": actions("retrying"),
            "dead": actions("dead"),
            "unconfirmed": actions("unconfirmed"),
        },
        "rejected_records": rejections,
        "notices": notices,
    }


def add_processes(status: dict[str, Any], holders: list[dict[str, Any]], config: str) -> dict[str, Any]:
    """Add who is running (``daemons``, ``worker_running``), the interrupted runs and the command that
    retries the dead actions. A run still marked running while no worker holds the lock was killed."""
    running = any(h.get("holds_lock") for h in holders)
    status["daemons"] = [
        {
            "role": h["role"] if h.get("holds_lock") or h["role"] != "active" else "standby",
            "name": h["name"],
            "since": _iso(h["since"]) if isinstance(h.get("since"), datetime) else h.get("since"),
        }
        for h in holders
    ]
    status["worker_running"] = running
    if not running:
        for run in status["runs"]:
            if run["status"] == "running":
                run["status"] = "interrupted"
                run["error"] = (
                    "the worker stopped before this cycle finished (killed, or the machine stopped)"
                )
    status["interrupted_runs"] = [r["id"] for r in status["runs"] if r["status"] == "interrupted"]
    status["retry_dead_command"] = f"crm-sync retry --dead -c {config}" if status["actions"]["dead"] else None
    return status


def format_status(status: dict[str, Any], now: datetime | None = None) -> str:
    """The status as plain-text tables (see :mod:`sync.ops.status_view`)."""
    from sync.ops.status_view import status_text

    return status_text(status, now or datetime.now(UTC))
