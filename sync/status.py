"""``crm-sync status``: what the worker knows, as data (``--json``) or as text for a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, func, select

from sync.store.state import State
from sync.store.tables import LedgerAction, NoticeRow, Rejection, RuleOutcome, RunRow, StreamCursor

LIST_LIMIT = 50


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def collect_status(state: State) -> dict[str, Any]:
    """Cursors, recent runs, pending timers by due time, ledger counts, failing actions, rejections, notices."""
    session = state.session
    cursors = [
        {"stream": row.stream, "cursor": row.cursor, "updated_at": _iso(row.updated_at)}
        for row in session.exec(select(StreamCursor).order_by(col(StreamCursor.stream))).all()
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
        for row in session.exec(select(RunRow).order_by(col(RunRow.id).desc()).limit(10)).all()
    ]
    timers_query = select(RuleOutcome).where(RuleOutcome.state == "armed").order_by(col(RuleOutcome.due_at))
    pending_count = session.exec(
        select(func.count()).select_from(RuleOutcome).where(RuleOutcome.state == "armed")
    ).one()
    timers = [
        {
            "due_at": _iso(row.due_at),
            "rule": row.rule_id,
            "record": row.record_key,
            "occurrence": row.occurrence,
            "armed_at": _iso(row.armed_at),
        }
        for row in session.exec(timers_query.limit(LIST_LIMIT)).all()
    ]
    counts = dict(
        session.exec(select(LedgerAction.status, func.count()).group_by(col(LedgerAction.status))).all()
    )

    def actions(status: str) -> list[dict[str, Any]]:
        query = (
            select(LedgerAction)
            .where(LedgerAction.status == status)
            .order_by(col(LedgerAction.updated_at).desc())
            .limit(LIST_LIMIT)
        )
        return [
            {
                "key": row.key,
                "kind": row.kind,
                "target": row.target,
                "attempts": row.attempts,
                "next_attempt_at": _iso(row.next_attempt_at),
                "error": row.last_error,
            }
            for row in session.exec(query).all()
        ]

    rejections = [
        {
            "record": row.record_key,
            "reason": row.reason,
            "first_at": _iso(row.first_at),
            "last_at": _iso(row.last_at),
        }
        for row in session.exec(
            select(Rejection).order_by(col(Rejection.last_at).desc()).limit(LIST_LIMIT)
        ).all()
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
        for row in session.exec(
            select(NoticeRow).order_by(col(NoticeRow.last_at).desc()).limit(LIST_LIMIT)
        ).all()
    ]
    return {
        "cursors": cursors,
        "runs": runs,
        "pending_timers": {"count": pending_count, "next": timers},
        "actions": {"counts": counts, "retrying": actions("retrying"), "dead": actions("dead")},
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
    add(f"Rejected records: {len(status['rejected_records'])}")
    for r in status["rejected_records"][:20]:
        add(f"  {r['record']}: {r['reason']}")
    add(f"Notices: {len(status['notices'])}")
    for n in status["notices"][:20]:
        add(f"  [{n['kind']}] {n['record']} {n['rule']}: {n['message']} (x{n['count']})")
    return "\n".join(lines)
