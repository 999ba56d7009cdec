"""``send_email`` and ``notify``: one transactional single-send per recipient, ``sendId`` = external id.

HubSpot sends at most one email per ``sendId``, so a retry never sends twice. A ``send_email`` to the
customer is also logged on the submission's crm-sync ticket (an ``emails`` engagement associated with the
ticket and contact), once, best effort: only on a first attempt that HubSpot did not ignore as a repeat,
and a failed log never fails the delivered email (the worst case is a missing timeline entry, never a
duplicate).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from hubspot.crm.association_type import AssociationType

from sync.connectors.base import ConnectorError, DeliveryResult, OwedAction

from .api import HubSpotApi, association
from .client import RequestFailed
from .context import RecordContext
from .outcomes import Results
from .times import epoch_ms

log = logging.getLogger(__name__)


def send_body(action: OwedAction, email_id: int, ticket_id: str | None) -> dict[str, Any]:
    """The single-send request: the rendered subject and bodies travel as ``customProperties``."""
    payload = action.payload
    message: dict[str, Any] = {"to": payload["to"]["email"], "sendId": action.external_id}
    if payload.get("cc"):
        message["cc"] = [person["email"] for person in payload["cc"]]
    if (payload.get("sender") or {}).get("email"):
        message["from"] = payload["sender"]["email"]
    custom = {
        "subject": payload.get("subject") or "",
        "body": payload.get("text") or "",
        "html": payload.get("html") or "",
        "related_id": action.record_id,
    }
    if ticket_id:
        custom["ticket_id"] = ticket_id
    return {"emailId": email_id, "message": message, "customProperties": custom}


def _log_input(
    action: OwedAction, body: dict[str, Any], ticket_id: str, contact_id: str | None, now: datetime
) -> dict[str, Any]:
    message, custom = body["message"], body["customProperties"]
    headers = {
        "from": {"email": message.get("from", "")},
        "to": [{"email": message["to"]}],
        "cc": [{"email": address} for address in message.get("cc", [])],
    }
    associations = [association(ticket_id, AssociationType.EMAIL_TO_TICKET)]
    if contact_id:
        associations.append(association(contact_id, AssociationType.EMAIL_TO_CONTACT))
    return {
        "objectWriteTraceId": action.external_id,
        "properties": {
            "hs_timestamp": epoch_ms(now),
            "hs_email_direction": "EMAIL",
            "hs_email_status": "SENT",
            "hs_email_subject": custom["subject"],
            "hs_email_text": custom["body"],
            "hs_email_html": custom["html"],
            "hs_email_headers": json.dumps(headers),
        },
        "associations": associations,
    }


def deliver_emails(
    api: HubSpotApi,
    ctx: RecordContext,
    actions: Sequence[OwedAction],
    results: Results,
    email_id: int,
    now: Callable[[], datetime],
) -> None:
    """Send each email into ``results``, then log the customer emails on their tickets."""
    tickets = {action.record_id: ctx.ticket(action.record_id) for action in actions}
    to_log = []
    try:
        for action in actions:
            ticket_id = tickets[action.record_id]
            body = send_body(action, email_id, ticket_id)
            try:
                answer = api.send_email(body)
            except RequestFailed as exc:
                results[action.key] = DeliveryResult.failed(action.key, str(exc), retryable=False)
                continue
            results[action.key] = DeliveryResult.delivered(action.key, answer.get("statusId"))
            # A retried send may have been logged by the attempt whose answer was lost: not logged again.
            first_time = not action.tried and answer.get("sendResult") != "IDEMPOTENT_IGNORE"
            if action.kind == "send_email" and ticket_id and first_time:
                to_log.append(_log_input(action, body, ticket_id, ctx.contact(action.record_id), now()))
    finally:  # what was sent is logged even when a later send in the batch raised
        if to_log:
            try:
                api.create("emails", to_log, idempotent=False)
            except ConnectorError as exc:
                log.warning("could not log %d sent emails on their HubSpot tickets: %s", len(to_log), exc)
