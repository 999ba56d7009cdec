"""Delivery: hand owed ledger actions to their CRM adapter in batches and record every result.

Delivered actions keep the CRM id they created. A sent one (a CRM that finishes the write later, such as
HubSpot's queued emails) keeps what to ask about it: each delivery first asks its CRM about the sent
actions checked longest ago (a bounded number a cycle), which end delivered, dead with the CRM's reason,
or ``unconfirmed`` when no final status came in the time the adapter allows. A failed one is retried
with exponential backoff until ``delivery.max_attempts``, then marked dead with its last error
(``crm-sync retry --dead`` re-queues it); a deferred one (an API budget or a daily email allowance is
spent) stays owed, without counting an attempt, and is offered again after ``retry_after`` (or
``delivery.backoff``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from rules.actions.registry import kind as action_kind
from rules.planner import PlannedAction
from rules.settings import DeliverySettings
from sync.connectors.base import (
    Confirmation,
    CrmUnavailable,
    DeliveryResult,
    OwedAction,
    SendTracker,
    SentAction,
)
from sync.policy.backoff import backoff
from sync.store.transaction import Store

if TYPE_CHECKING:
    from sync.channels.base import Outlet
    from sync.store.tables import LedgerAction

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    counts: Counter[str] = field(default_factory=Counter)
    by_rule: Counter[tuple[str, str]] = field(default_factory=Counter)  # (rule, outcome): for metrics
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {**dict(self.counts), "errors": self.errors[:20]}


def owed_action(row: LedgerAction) -> OwedAction | DeliveryResult:
    """A ledger row as an adapter receives it (the one place a row becomes an :class:`OwedAction`), or
    a failure when its payload cannot be read (an action kind that no longer exists, a row edited by
    hand): retrying cannot mend that."""
    record_id = row.record_key.split(":", 1)[1]
    kind = action_kind(row.kind)
    if kind is None:
        return DeliveryResult.failed(row.key, f"unknown action kind {row.kind!r}", retryable=False)
    try:
        payload = kind.load(row.payload or {})
    except ValidationError as exc:
        return DeliveryResult.failed(row.key, f"stored {row.kind} payload is invalid: {exc}", retryable=False)
    # Sent to the CRM before (even if the process died before hearing back): the adapter first looks
    # for what that attempt may have written.
    tried = row.attempted_at is not None
    return OwedAction(row.key, row.external_id, row.kind, record_id, payload, row.attempts, tried)


def record_result(
    row: LedgerAction, result: DeliveryResult, now: datetime, settings: DeliverySettings
) -> str:
    """Apply one result to its ledger row; returns the row's new status."""
    row.updated_at = now
    if result.status == "sent":
        # Accepted: its final status is asked for later (next_attempt_at orders those status checks).
        row.status, row.crm_id, row.next_attempt_at = "sent", result.crm_id, now
        row.attempts += 1
        row.last_error = None
    elif result.status == "delivered":
        row.status, row.crm_id, row.delivered_at, row.next_attempt_at = "delivered", result.crm_id, now, None
        row.attempts += 1
        row.last_error = None
    elif result.status == "deferred":
        # Not attempted: no attempt is counted, but the action waits before it is offered again.
        row.last_error = result.error
        row.next_attempt_at = now + (result.retry_after or settings.backoff.total)
    else:
        row.attempts += 1
        row.last_error = (result.error or "unknown error")[:4000]
        limit = min(settings.max_attempts, result.give_up_after or settings.max_attempts)
        if not result.retryable or row.attempts >= limit:
            row.status, row.next_attempt_at = "dead", None
        else:
            delay = result.retry_after or backoff(
                row.attempts, settings.backoff.total, settings.max_backoff.total, row.key
            )
            row.status, row.next_attempt_at = "retrying", now + delay
    return row.status if result.status != "deferred" else "deferred"


def sent_action(row: LedgerAction) -> SentAction:
    """A sent ledger row as its adapter is asked about it (sent when it was last attempted)."""
    return SentAction(row.key, row.kind, row.external_id, row.crm_id, row.attempted_at or row.updated_at)


def record_confirmation(row: LedgerAction, confirmation: Confirmation, now: datetime) -> None:
    """Apply a sent action's final status to its ledger row."""
    row.status, row.updated_at, row.next_attempt_at = confirmation.status, now, None
    if confirmation.status == "delivered":
        row.delivered_at, row.last_error = now, None
    else:
        row.last_error = (confirmation.error or confirmation.status)[:4000]


def confirm_sent(
    store: Store, target: str, tracker: SendTracker, clock: Callable[[], datetime], report: DeliveryReport
) -> None:
    """Ask ``tracker`` about its sent actions checked longest ago (at most its ``status_checks_per_cycle``)
    and record the final ones; the rest are checked again in a later cycle, after the others."""
    with store.transaction() as tx:
        rows = tx.ledger.sent(target, tracker.status_checks_per_cycle)
        sent = [sent_action(row) for row in rows]
    if not sent:
        return
    try:
        confirmations = tracker.confirm(sent, clock())
    except CrmUnavailable as exc:
        log.info("status checks on %s put off: %s", target, exc)
        return
    except Exception as exc:  # the sends stay sent: checked again next cycle
        log.warning("status checks on %s failed: %s", target, exc)
        report.errors.append(f"{target} status checks: {type(exc).__name__}: {exc}")
        return
    final = {c.key: c for c in confirmations}
    now = clock()
    with store.transaction() as tx:
        rows_now = tx.ledger.by_key([s.key for s in sent])
        for item in sent:
            row = rows_now.get(item.key)
            if row is None or row.status != "sent":
                continue
            confirmation = final.get(item.key)
            if confirmation is None:
                row.next_attempt_at = now  # still under way: behind the others for the next checks
            else:
                record_confirmation(row, confirmation, now)
                report.counts["confirmed" if confirmation.status == "delivered" else confirmation.status] += 1
                if confirmation.status != "delivered" and len(report.errors) < 100:
                    report.errors.append(f"{item.key}: {row.last_error}")
            tx.ledger.save(row)


def follow_ups(action: OwedAction, row: LedgerAction) -> list[PlannedAction]:
    """What a delivered action owes next (an email sent by SMTP, logged in the CRM), keyed after it."""
    kind = action_kind(action.kind)
    if kind is None:
        return []
    occurrence = action.key.split(":")[3] if action.key.count(":") >= 3 else ""
    return [
        PlannedAction(
            key=f"{action.key}:{kind_name}",
            rule_id=row.rule_id,
            kind=kind_name,
            target=target,
            record_key=row.record_key,
            record_id=action.record_id,
            occurrence=occurrence,
            payload=payload,
        )
        for target, kind_name, payload in kind.follow_ups(action.payload)
    ]


def deliver_owed(
    store: Store,
    connectors: Mapping[str, Outlet],
    clock: Callable[[], datetime],
    settings: DeliverySettings,
    stopping: Callable[[], bool] = lambda: False,
) -> DeliveryReport:
    """Deliver everything owed now, target by target (channels, then CRMs), batch by batch (until
    ``stopping``: the batch in flight is finished and recorded, the rest waits for the next cycle)."""
    report = DeliveryReport()
    for target, connector in connectors.items():
        if isinstance(connector, SendTracker) and not stopping():
            confirm_sent(store, target, connector, clock, report)
        while not stopping():
            now = clock()
            with store.transaction() as tx:
                owed_rows = tx.ledger.owed(target, now, settings.batch_size)
                loaded = [owed_action(row) for row in owed_rows]
                batch = [item for item in loaded if isinstance(item, OwedAction)]
                unreadable = [item for item in loaded if isinstance(item, DeliveryResult)]
                tx.ledger.mark_attempted(owed_rows, now)  # write-ahead: committed before the CRM is called
            if not owed_rows:
                break
            exhausted = False
            try:
                results = connector.deliver(batch) if batch else []
            except CrmUnavailable as exc:
                exhausted = True
                results = [DeliveryResult.deferred(a.key, str(exc), exc.retry_after) for a in batch]
            except Exception as exc:  # an adapter bug or transport failure must not lose the batch
                log.warning("delivery to %s failed: %s", target, exc)
                results = [DeliveryResult.failed(a.key, f"{type(exc).__name__}: {exc}") for a in batch]
            by_key = {r.key: r for r in [*results, *unreadable]}
            by_action = {a.key: a for a in batch}
            with store.transaction() as tx:
                keys = [row.key for row in owed_rows]
                rows = tx.ledger.by_key(keys)
                for key in keys:
                    result = by_key.get(key) or DeliveryResult.failed(
                        key, f"the {target} adapter returned no result for this action"
                    )
                    ledger_row = rows.get(key)
                    if ledger_row is None:
                        continue
                    status = record_result(ledger_row, result, clock(), settings)
                    tx.ledger.save(ledger_row)
                    owed = by_action.get(key)
                    if status == "delivered" and owed is not None:
                        tx.ledger.add(follow_ups(owed, ledger_row), clock())
                    report.counts[status] += 1
                    report.by_rule[(ledger_row.rule_id, status)] += 1
                    if status in ("dead", "retrying") and len(report.errors) < 100:
                        report.errors.append(f"{key}: {result.error}")
            if exhausted:
                break  # the CRM cannot be called (budget spent, access refused): nothing else goes this cycle
    return report
