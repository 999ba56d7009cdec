"""Setup of ``idle-tracked``: a store tracking N records, none of them changed recently.

A real cycle first stores 20 SLIs and 55 NPS answers from the last two days through the worker;
its records are then cloned, with their rule outcomes and their first ledger action (delivered), up
to N tracked records, inserted in batches. Clones keep their template's timers, none due soon.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from bench.harness import Worker, host_from_env
from bench.scenarios import Context
from rules.planner import record_key
from sandbox.clock import MovableClock
from sync.store.tables import LedgerAction, RuleOutcome, TrackedRecord

BATCH = 5000
SPREAD_S = 2 * 86400  # old data: the overlap before the newest record holds hardly any
RECORDS = TrackedRecord.__table__  # type: ignore[attr-defined]
OUTCOMES = RuleOutcome.__table__  # type: ignore[attr-defined]
ACTIONS = LedgerAction.__table__  # type: ignore[attr-defined]


def _rows(connection: sa.Connection, table: sa.Table) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in connection.execute(sa.select(table))]


def _clones(
    records: list[dict[str, Any]], outcomes: list[dict[str, Any]], actions: list[dict[str, Any]], n: int
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]]:
    """Batches of cloned ``(records, outcomes, actions)`` rows, ``n`` records in all."""
    by_record: dict[str, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        by_record.setdefault(outcome["record_key"], []).append(outcome)
    first_action: dict[str, dict[str, Any]] = {}
    for action in sorted(actions, key=lambda a: a["key"]):
        first_action.setdefault(action["record_key"], action)
    batch: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]] = ([], [], [])
    for i in range(n):
        template = records[i % len(records)]
        record_id = f"{template['record_id']}-{i}"
        key = record_key(template["stream"], record_id)
        batch[0].append({**template, "key": key, "record_id": record_id})
        batch[1].extend({**o, "record_key": key} for o in by_record.get(template["key"], []))
        first = first_action.get(template["key"])
        if first is not None:
            action_key = f"{first['key']}#{i}"
            digest = hashlib.sha256(action_key.encode()).hexdigest()[:32]
            batch[2].append({**first, "key": action_key, "record_key": key, "external_id": f"cs-{digest}"})
        if len(batch[0]) >= BATCH:
            yield batch
            batch = ([], [], [])
    if batch[0]:
        yield batch


def setup(ctx: Context) -> None:
    host = host_from_env()
    host.seed(slis=20, responses=55, spread_s=SPREAD_S)
    worker = Worker(ctx.db_url, MovableClock(host.now()))
    worker.engine.run_cycle()
    with worker.database.begin() as connection:
        records, outcomes, actions = (_rows(connection, t) for t in (RECORDS, OUTCOMES, ACTIONS))
    for batch in _clones(records, outcomes, actions, max(0, ctx.tracked - len(records))):
        with worker.database.begin() as connection:
            for table, rows in zip((RECORDS, OUTCOMES, ACTIONS), batch, strict=True):
                if rows:
                    connection.execute(table.insert(), rows)
    worker.close()
    host.close()
