"""``crm-sync status``: what the worker knows, as data (``--json``) or as text for a person."""

from __future__ import annotations

from datetime import datetime
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


def format_status(status: dict[str, Any]) -> str:
    """A readable report of :func:`collect_status`."""
    lines: list[str] = []
    add = lines.append
    add("Cursors:")
    for c in status["cursors"] or [{"stream": "(none yet)", "cursor": "", "updated_at": ""}]:
        add(f"  {c['stream']}: {c['cursor']}  (updated {c['updated_at']})")
    add("Last runs:")
    for r in status["runs"][:5] or [
        {"id": "-", "mode": "", "status": "never ran", "started_at": "", "error": None}
    ]:
        line = f"  #{r['id']} {r['mode']} {r['status']} at {r['started_at']}"
        if r.get("summary"):
            s = r["summary"]
            line += f"  polled={s.get('polled')} planned={s.get('planned')} delivery={s.get('delivery')}"
        if r.get("error"):
            line += f"  error: {r['error']}"
        add(line)
    timers = status["pending_timers"]
    add(f"Pending timers: {timers['count']}")
    for t in timers["next"][:20]:
        add(f"  {t['due_at']}  {t['rule']}  {t['record']}")
    actions = status["actions"]
    add("Actions: " + (", ".join(f"{k} {v}" for k, v in sorted(actions["counts"].items())) or "none"))
    for label in ("retrying", "dead"):
        if actions[label]:
            add(f"  {label}:")
            for a in actions[label][:20]:
                add(f"    {a['key']} (attempt {a['attempts']}, next {a['next_attempt_at']}): {a['error']}")
    if actions["unconfirmed"]:
        add("  unconfirmed (sent; the CRM never gave a final status):")
        for a in actions["unconfirmed"][:20]:
            add(f"    {a['key']} ({a['crm_id']}): {a['error']}")
    add(f"Rejected records: {len(status['rejected_records'])}")
    for r in status["rejected_records"][:20]:
        add(f"  {r['record']}: {r['reason']}")
    add(f"Notices: {len(status['notices'])}")
    for n in status["notices"][:20]:
        add(f"  [{n['kind']}] {n['record']} {n['rule']}: {n['message']} (x{n['count']})")
    return "\n".join(lines)
