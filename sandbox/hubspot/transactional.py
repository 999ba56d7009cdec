"""Transactional single-send (``marketing/v3/transactional/single-email/send``) into the shared Outbox."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from sandbox.core import Outbox, SentEmail

from . import payload
from .errors import validation_error

RELATED_ID_KEYS = ("ticket_id", "ticketId", "hs_ticket_id", "related_id")


class TransactionalEmail:
    """Sends at most one email per ``sendId`` and keeps every send's status."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.statuses: dict[str, dict[str, Any]] = {}  # statusId -> status view
        self.send_ids: dict[str, str] = {}  # sendId -> statusId

    def reset(self) -> None:
        self.statuses.clear()
        self.send_ids.clear()

    def send(self, body: Any, now: str) -> dict[str, Any]:
        """Record the email and answer HubSpot's send status (``PENDING``, or the earlier send's status
        with ``sendResult: IDEMPOTENT_IGNORE`` when the ``sendId`` was already used)."""
        email_id, message = _validated(body)
        custom = payload.obj(body.get("customProperties"), "customProperties")
        contact = payload.obj(body.get("contactProperties"), "contactProperties")
        cc = payload.strings(message.get("cc"), "message.cc")
        send_id = message.get("sendId")
        if send_id and send_id in self.send_ids:
            earlier = self.statuses[self.send_ids[send_id]]
            return {**earlier, "sendResult": "IDEMPOTENT_IGNORE", "requestedAt": now}
        status_id = str(uuid.uuid4())
        self.statuses[status_id] = {
            "statusId": status_id,
            "status": "COMPLETE",
            "sendResult": "SENT",
            "requestedAt": now,
            "startedAt": now,
            "completedAt": now,
            "eventId": {"id": str(uuid.uuid4()), "created": now},
        }
        if send_id:
            self.send_ids[send_id] = status_id
        self.outbox.record(
            SentEmail(
                source="hubspot",
                to=[message["to"]],
                cc=cc,
                subject=str(custom.get("subject") or f"email {email_id}"),
                body=_render(custom, contact),
                related_id=next((str(custom[k]) for k in RELATED_ID_KEYS if custom.get(k)), None),
                sent_at=now,
            )
        )
        return {"status": "PENDING", "requestedAt": now, "statusId": status_id}

    def status(self, status_id: str) -> dict[str, Any] | None:
        """A send's status view (``GET marketing/v3/email/send-statuses/{statusId}``)."""
        found = self.statuses.get(status_id)
        return copy.deepcopy(found) if found else None

    def snapshot(self) -> dict[str, Any]:
        return {"statuses": copy.deepcopy(self.statuses), "send_ids": dict(self.send_ids)}

    def restore(self, state: dict[str, Any]) -> None:
        self.statuses = copy.deepcopy(state["statuses"])
        self.send_ids = dict(state["send_ids"])


def _validated(body: Any) -> tuple[str, dict[str, Any]]:
    body = payload.obj(body, "the request body")
    email_id, message = body.get("emailId"), body.get("message")
    if email_id is None or not str(email_id).isdigit():
        raise validation_error("emailId is required and must be an integer.", emailId=[str(email_id)])
    if not isinstance(message, dict) or not isinstance(message.get("to"), str) or "@" not in message["to"]:
        raise validation_error("message.to must be a valid email address.", **{"message.to": ["invalid"]})
    if not isinstance(message.get("sendId", ""), str):
        raise payload.invalid("message.sendId", "a string")
    return str(email_id), message


def _render(custom: dict[str, Any], contact: dict[str, Any]) -> str:
    """The email body: ``customProperties.body`` when given, else the template data as JSON."""
    if isinstance(custom.get("body"), str):
        return str(custom["body"])
    return json.dumps({"customProperties": custom, "contactProperties": contact}, indent=2, sort_keys=True)
