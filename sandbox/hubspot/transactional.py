"""Transactional single-send (``marketing/v3/transactional/single-email/send``) into the shared Outbox,
and each send's status (``marketing/v3/email/send-statuses/{statusId}``)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sandbox.core import Outbox, SentEmail

from . import payload
from .errors import validation_error
from .timeutil import iso_ms

RELATED_ID_KEYS = ("ticket_id", "ticketId", "hs_ticket_id", "related_id")


#: A send's status moves PENDING -> PROCESSING -> COMPLETE on the portal's clock; by default it is
#: COMPLETE at the first read after the send's answer (``pace`` slows it down).
PACE = (timedelta(0), timedelta(0))  # (time PENDING, then time PROCESSING)


class TransactionalEmail:
    """Sends at most one email per ``sendId`` and keeps every send's status.

    A send answers ``PENDING`` with a ``statusId``; its status view then moves on the portal's clock to
    ``COMPLETE`` with a ``sendResult``: ``SENT``, or what :meth:`script` set for the address
    (``PREVIOUSLY_BOUNCED``, ``INVALID_TO_ADDRESS``, ``BLOCKED_ADDRESS``..., or ``CANCELED`` for a canceled
    send). Only a ``SENT`` email reaches the outbox. A repeated ``sendId`` sends nothing: it gets a new
    status that completes as ``IDEMPOTENT_IGNORE`` (the earlier send went out) or ``IDEMPOTENT_FAIL``
    (it did not)."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.statuses: dict[str, dict[str, Any]] = {}  # statusId -> {requestedAt, result}
        self.send_ids: dict[str, str] = {}  # sendId -> statusId
        self.results: dict[str, str] = {}  # scripted: address (folded) -> sendResult
        self.pace = PACE

    def reset(self) -> None:
        self.statuses.clear()
        self.send_ids.clear()
        self.results.clear()
        self.pace = PACE

    def script(self, results: dict[str, str], pace: tuple[timedelta, timedelta] | None) -> None:
        """Final results of later sends by recipient address; and how long a send stays pending, then
        processing."""
        self.results.update({address.strip().lower(): result for address, result in results.items()})
        if pace is not None:
            self.pace = pace

    def send(self, body: Any, now: datetime) -> dict[str, Any]:
        """Record the email (when it goes out) and answer ``PENDING`` with the new send's ``statusId``."""
        email_id, message = _validated(body)
        custom = payload.obj(body.get("customProperties"), "customProperties")
        contact = payload.obj(body.get("contactProperties"), "contactProperties")
        cc = payload.strings(message.get("cc"), "message.cc")
        send_id = message.get("sendId")
        status_id = str(uuid.uuid4())
        repeat = bool(send_id) and send_id in self.send_ids
        if repeat:  # nothing is sent again: the earlier send went out (IGNORE) or did not (FAIL)
            earlier = self.statuses[self.send_ids[send_id]]["result"]
            result = "IDEMPOTENT_IGNORE" if earlier in ("SENT", "IDEMPOTENT_IGNORE") else "IDEMPOTENT_FAIL"
        else:
            result = self.results.get(message["to"].strip().lower(), "SENT")
        self.statuses[status_id] = {"requestedAt": iso_ms(now), "result": result}
        if send_id and not repeat:
            self.send_ids[send_id] = status_id
        if result == "SENT":
            self.outbox.record(
                SentEmail(
                    source="hubspot",
                    to=[message["to"]],
                    cc=cc,
                    subject=str(custom.get("subject") or f"email {email_id}"),
                    body=_render(custom, contact),
                    related_id=next((str(custom[k]) for k in RELATED_ID_KEYS if custom.get(k)), None),
                    sent_at=iso_ms(now),
                )
            )
        return {"status": "PENDING", "requestedAt": iso_ms(now), "statusId": status_id}

    def status(self, status_id: str, now: datetime) -> dict[str, Any] | None:
        """A send's status view at ``now`` (``GET marketing/v3/email/send-statuses/{statusId}``)."""
        found = self.statuses.get(status_id)
        if found is None:
            return None
        requested = datetime.fromisoformat(found["requestedAt"].replace("Z", "+00:00"))
        started, completed = requested + self.pace[0], requested + sum(self.pace, timedelta(0))
        view: dict[str, Any] = {
            "statusId": status_id,
            "status": "PENDING",
            "requestedAt": found["requestedAt"],
        }
        if now >= started:
            view |= {"status": "PROCESSING", "startedAt": iso_ms(started)}
        if now >= completed:
            canceled = found["result"] == "CANCELED"
            view |= {"status": "CANCELED" if canceled else "COMPLETE", "completedAt": iso_ms(completed)}
            if not canceled:
                view["sendResult"] = found["result"]
                view["eventId"] = {"id": status_id, "created": iso_ms(completed)}
        return view

    def snapshot(self) -> dict[str, Any]:
        return {
            "statuses": copy.deepcopy(self.statuses),
            "send_ids": dict(self.send_ids),
            "results": dict(self.results),
            "pace": [part.total_seconds() for part in self.pace],
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.statuses = {
            key: value if "result" in value else {"requestedAt": value["requestedAt"], "result": "SENT"}
            for key, value in copy.deepcopy(state["statuses"]).items()
        }
        self.send_ids = dict(state["send_ids"])
        self.results = dict(state.get("results", {}))
        pace = state.get("pace")
        self.pace = (timedelta(seconds=pace[0]), timedelta(seconds=pace[1])) if pace else PACE


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
