"""``create_task``: batch create with inline associations (ticket, contact), made idempotent by a marker.

Tasks have no unique property, so each task's body ends with ``crm-sync key: <external id>``. Before
creating, the tasks already associated with each action's ticket (or contact) are read and any carrying
the marker count as delivered. Associations are read directly (not through search), so a task created
a moment ago is found. The create itself is never repeated within one call: a timeout or 5xx fails the
action as retryable and the next attempt finds the task if it was made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from hubspot.crm.association_type import AssociationType

from rules.actions.task import TaskPayload
from sync.connectors.base import DeliveryResult, OwedAction

from .api import HubSpotApi, association
from .context import RecordContext
from .outcomes import Results, failure, input_errors, unconfirmed
from .times import epoch_ms

MARKER = "crm-sync key: "
_MARKED = re.compile(re.escape(MARKER) + r"(\S+)")
TYPES = frozenset({"CALL", "EMAIL", "TODO"})
STATUSES = frozenset({"NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"})
PRIORITIES = {"low": "LOW", "normal": "MEDIUM", "medium": "MEDIUM", "high": "HIGH", "urgent": "HIGH"}


def _marker(body: str | None) -> str | None:
    found = _MARKED.search(body or "")
    return found.group(1) if found else None


def _enum(value: Any, allowed: frozenset[str], default: str) -> str:
    text = str(value or "").strip().upper().replace(" ", "_")
    return text if text in allowed else default


def task_properties(action: OwedAction, now: datetime) -> dict[str, Any]:
    """A task's properties. HubSpot requires a time (``hs_timestamp``): the due time, else the time the
    action was planned, so a retry sends the same task (``now`` only for rows planned before that was
    recorded)."""
    payload = action.payload_as(TaskPayload)
    due = payload.due_at or payload.planned_at or now
    body = "\n\n".join(part for part in (payload.description, MARKER + action.external_id) if part)
    properties: dict[str, Any] = {
        **payload.fields,
        "hs_task_subject": payload.subject,
        "hs_task_body": body,
        "hs_timestamp": epoch_ms(due),
        "hs_task_type": _enum(payload.type, TYPES, "TODO"),
        "hs_task_status": _enum(payload.status, STATUSES, "NOT_STARTED"),
    }
    if str(payload.priority or "").lower() in PRIORITIES:
        properties["hs_task_priority"] = PRIORITIES[str(payload.priority).lower()]
    if payload.owner is not None and payload.owner.user_id:
        properties["hubspot_owner_id"] = payload.owner.user_id
    return properties


def _existing(api: HubSpotApi, ctx: RecordContext, actions: Sequence[OwedAction]) -> dict[str, str]:
    """``{external id: task id}`` for tasks already made, found through their ticket or contact."""
    anchors: dict[str, set[str]] = {"tickets": set(), "contacts": set()}
    for action in actions:
        # Both: an earlier attempt may have been linked to the contact only (its ticket did not exist yet).
        if ticket := ctx.ticket(action.record_id):
            anchors["tickets"].add(ticket)
        if contact := ctx.contact(action.record_id):
            anchors["contacts"].add(contact)
    task_ids = {
        str(t["toObjectId"])
        for kind, ids in anchors.items()
        if ids
        for targets in api.associations(kind, "tasks", ids).values()
        for t in targets
    }
    tasks = api.read("tasks", task_ids, ["hs_task_body"]) if task_ids else {}
    found = {_marker(t["properties"].get("hs_task_body")): tid for tid, t in tasks.items()}
    return {key: tid for key, tid in found.items() if key}


def deliver_tasks(
    api: HubSpotApi,
    ctx: RecordContext,
    actions: Sequence[OwedAction],
    results: Results,
    now: Callable[[], datetime],
) -> None:
    """Create the tasks not made yet into ``results``."""
    made = _existing(api, ctx, [a for a in actions if a.tried])  # only a lost answer needs the look-up
    inputs, pending = [], []
    for action in actions:
        if action.external_id in made:
            results[action.key] = DeliveryResult.delivered(action.key, made[action.external_id])
            continue
        associations = []
        if ticket := ctx.ticket(action.record_id):
            associations.append(association(ticket, AssociationType.TASK_TO_TICKET))
        if contact := ctx.contact(action.record_id):
            associations.append(association(contact, AssociationType.TASK_TO_CONTACT))
        properties = task_properties(action, now())
        inputs.append(
            {"objectWriteTraceId": action.external_id, "properties": properties, "associations": associations}
        )
        pending.append(action)
    if not inputs:
        return
    answer = api.create("tasks", inputs, idempotent=False)
    created = {_marker(t["properties"].get("hs_task_body")): str(t["id"]) for t in answer["results"]}
    errors = input_errors(answer)
    for action in pending:
        if action.external_id in created:
            results[action.key] = DeliveryResult.delivered(action.key, created[action.external_id])
        elif action.external_id in errors:
            results[action.key] = failure(action, errors[action.external_id])
        else:
            results[action.key] = unconfirmed(action, "task")
