"""``create_ticket``: batch create keyed on the unique ``crm_sync_key``, with inline associations.

A create whose key already exists (a retry after a lost answer) fails for that input. How HubSpot words
a unique-value clash is undocumented, so after any per-input error the tickets of the failed inputs are
read by their key (``idProperty=crm_sync_key``): one found is the earlier create, reported as delivered,
untouched (an upsert would reset fields the team has changed since, such as the stage); only an input
whose key finds no ticket fails, with HubSpot's error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hubspot.crm.association_type import AssociationType

from rules.actions.ticket import TicketPayload
from sync.connectors.base import DeliveryResult, OwedAction

from .api import HubSpotApi, association
from .context import RecordContext
from .outcomes import Results, failure, input_errors, unconfirmed

KEY_PROPERTY = "crm_sync_key"  # unique ticket property holding the create_ticket action's external id


class Pipelines:
    """Ticket pipeline and stage ids by label (read once; read again when a label is not found)."""

    def __init__(self, api: HubSpotApi) -> None:
        self.api = api
        self._pipelines: list[dict[str, Any]] | None = None

    def resolve(self, pipeline: str, stage: str) -> tuple[str, str]:
        """(pipeline id, stage id) for labels (or ids); raises ValueError naming what exists."""
        for refresh in (False, True):
            if self._pipelines is None or refresh:
                self._pipelines = self.api.pipelines("tickets")
            found = _match(self._pipelines, pipeline)
            if found is not None:
                step = _match(found.get("stages", []), stage)
                if step is not None:
                    return str(found["id"]), str(step["id"])
        assert self._pipelines is not None
        known = "; ".join(
            f"{p['label']}: {', '.join(s['label'] for s in p.get('stages', []))}" for p in self._pipelines
        )
        raise ValueError(f"no ticket pipeline {pipeline!r} with stage {stage!r} in HubSpot (it has {known})")


def _match(items: list[dict[str, Any]], wanted: str) -> dict[str, Any] | None:
    folded = wanted.strip().casefold()
    return next((i for i in items if folded in (str(i["label"]).casefold(), str(i["id"]).casefold())), None)


def _ticket_input(action: OwedAction, pipelines: Pipelines, ctx: RecordContext) -> dict[str, Any]:
    payload = action.payload_as(TicketPayload)
    pipeline_id, stage_id = pipelines.resolve(payload.pipeline, payload.stage)
    properties: dict[str, Any] = {
        **payload.properties,
        "subject": payload.subject,
        "hs_pipeline": pipeline_id,
        "hs_pipeline_stage": stage_id,
        KEY_PROPERTY: action.external_id,
    }
    if payload.content:
        properties["content"] = payload.content
    if payload.owner is not None and payload.owner.user_id:
        properties["hubspot_owner_id"] = payload.owner.user_id
    sid = action.record_id
    associations = []
    if submission := ctx.submission(sid):
        associations.append(association(submission, AssociationType.TICKET_TO_FEEDBACK_SUBMISSION))
    if contact := ctx.contact(sid):
        associations.append(association(contact, AssociationType.TICKET_TO_CONTACT))
    if company := ctx.company(sid):
        associations.append(association(company, AssociationType.TICKET_TO_COMPANY))
    return {"objectWriteTraceId": action.external_id, "properties": properties, "associations": associations}


def deliver_tickets(
    api: HubSpotApi,
    ctx: RecordContext,
    pipelines: Pipelines,
    actions: Sequence[OwedAction],
    results: Results,
) -> None:
    """Create the tickets (associated with the submission, its contact and company) into ``results``."""
    inputs, pending = [], []
    for action in actions:
        try:
            inputs.append(_ticket_input(action, pipelines, ctx))
        except ValueError as exc:
            results[action.key] = DeliveryResult.failed(action.key, str(exc), retryable=False)
            continue
        pending.append(action)
    if not inputs:
        return
    answer = api.create("tickets", inputs, idempotent=True)  # a repeat finds the first by its key
    created = {str(t["properties"].get(KEY_PROPERTY)): str(t["id"]) for t in answer["results"]}
    errors = input_errors(answer)
    # Any input not created may have been by an earlier attempt: its key says (never the error's wording).
    missing = [a.external_id for a in pending if a.external_id not in created]
    existing = api.read("tickets", missing, [KEY_PROPERTY], id_property=KEY_PROPERTY) if missing else {}
    for action in pending:
        ticket_id = created.get(action.external_id) or existing.get(action.external_id, {}).get("id")
        if ticket_id:
            results[action.key] = DeliveryResult.delivered(action.key, str(ticket_id))
            ctx.add_ticket(action.record_id, str(ticket_id))
        elif action.external_id in errors:
            results[action.key] = failure(action, errors[action.external_id])
        else:
            results[action.key] = unconfirmed(action, "ticket")
