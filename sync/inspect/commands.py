"""``explain`` and ``plan`` for the command line: open the store read-only, collect, render."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rules.model import RuleSet
from rules.source import ConfigErrors
from sync.connectors.registry import load_config
from sync.inspect.common import InspectError
from sync.inspect.compare import compare_configs, format_compare
from sync.inspect.explain import explain_record, parse_target
from sync.inspect.explain_text import format_explain
from sync.inspect.plan import MAX_DAYS, due_plan, format_plan
from sync.inspect.scheduled import explain_scheduled, format_scheduled, is_scheduled_target
from sync.store.transaction import Transaction
from sync.wiring import open_store


def explain(ruleset: RuleSet, target: str, now: datetime, as_json: bool) -> str:
    """``crm-sync explain STREAM:RECORD_ID`` (or ``schedule:RULE``, ``metrics:RULE`` for a scheduled
    rule); raises :class:`InspectError` on bad input."""
    if is_scheduled_target(target):
        found = _read(ruleset, lambda tx: explain_scheduled(tx, ruleset, target, now))
        return _json(found) if as_json else format_scheduled(found, ruleset.timezone)
    stream, record_id = parse_target(target, ruleset)
    report = _read(ruleset, lambda tx: explain_record(tx, ruleset, stream, record_id, now))
    return _json(report) if as_json else format_explain(report, ruleset.timezone)


def plan(ruleset: RuleSet, days: int, compare: Path | None, now: datetime, as_json: bool) -> str:
    """``crm-sync plan [--days N] [--compare OTHER.yaml]``; raises :class:`InspectError` on bad input."""
    if not 0 <= days <= MAX_DAYS:
        raise InspectError(f"--days {days}: give a number of days from 0 to {MAX_DAYS}")
    if compare is None:
        report = _read(ruleset, lambda tx: due_plan(tx, ruleset, now, days))
        return _json(report) if as_json else format_plan(report, ruleset.timezone)
    try:
        proposed = load_config(compare)
    except ConfigErrors as exc:
        errors = "\n".join(str(error) for error in exc.errors)
        raise InspectError(f"--compare {compare} is not a valid configuration:\n{errors}") from exc
    report = _read(ruleset, lambda tx: compare_configs(tx, ruleset, proposed, now))
    return _json(report) if as_json else format_compare(report, ruleset.timezone)


def _read(ruleset: RuleSet, collect: Callable[[Transaction], dict[str, Any]]) -> dict[str, Any]:
    """Run ``collect`` in a transaction of the store opened in dry-run mode: nothing can be committed."""
    store = open_store(ruleset, dry_run=True)
    try:
        with store.transaction() as tx:
            return collect(tx)
    finally:
        store.close()


def _json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, default=str, ensure_ascii=False)
