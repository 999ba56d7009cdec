"""``update_record``: batch update of the polled record's object, one result per input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rules.actions.update import UpdatePayload
from sync.connectors.base import DeliveryResult, OwedAction

from .api import HubSpotApi
from .outcomes import Results, failure, input_errors, unconfirmed


def _rounds(actions: Sequence[OwedAction]) -> list[list[OwedAction]]:
    """Groups in which each (object, record) appears once: a batch may not name a record twice."""
    rounds: list[list[OwedAction]] = []
    seen: list[set[tuple[str, str]]] = []
    for action in actions:
        payload = action.payload_as(UpdatePayload)
        target = (payload.object, str(payload.related_id or action.record_id))
        index = next((i for i, names in enumerate(seen) if target not in names), len(rounds))
        if index == len(rounds):
            rounds.append([])
            seen.append(set())
        rounds[index].append(action)
        seen[index].add(target)
    return rounds


def deliver_updates(api: HubSpotApi, actions: Sequence[OwedAction], results: Results) -> None:
    """Apply each action's ``fields`` to its record into ``results``."""
    for group in _rounds(actions):
        by_object: dict[str, list[OwedAction]] = {}
        for action in group:
            by_object.setdefault(action.payload_as(UpdatePayload).object, []).append(action)
        for object_type, batch in by_object.items():
            inputs: list[dict[str, Any]] = [
                {
                    "id": str(action.payload_as(UpdatePayload).related_id or action.record_id),
                    "properties": action.payload_as(UpdatePayload).fields,
                    "objectWriteTraceId": action.external_id,
                }
                for action in batch
            ]
            answer = api.update(object_type, inputs)
            updated = {str(r["id"]) for r in answer["results"]}
            errors = input_errors(answer)
            for action, item in zip(batch, inputs, strict=True):
                if action.external_id in errors:
                    results[action.key] = failure(action, errors[action.external_id])
                elif item["id"] in updated:
                    results[action.key] = DeliveryResult.delivered(action.key, item["id"])
                else:
                    results[action.key] = unconfirmed(action, "update")
