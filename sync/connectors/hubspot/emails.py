"""``send_email`` and ``notify``: one transactional single-send per recipient, ``sendId`` = external id.

HubSpot sends at most one email per ``sendId``, so a retry never sends twice. A send is queued: it is
recorded as *sent* with its ``statusId`` and confirmed (or found bounced) later, see :mod:`.send_status`.
A ``send_email`` to the customer is also logged on the submission's crm-sync ticket (an ``emails``
engagement associated with the ticket and contact) once it is sent: the log is an idempotent write like
any other. Each log carries the action's reference (``crm-sync ref <external id>``) at the end of its
text; an action tried before first looks for its log on the ticket, so a lost answer never logs twice,
and a failed log fails the action (the retry's send is ignored by HubSpot; only the log is made).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from hubspot.crm.association_type import AssociationType

from rules.actions.email import EmailPayload, SendEmail
from rules.actions.log_email import LogEmailPayload
from sync.connectors.base import ConnectorError, CrmUnavailable, DeliveryResult, OwedAction, chunks

from .api import OBJECT_BATCH, HubSpotApi, association
from .client import RequestFailed
from .context import RecordContext
from .outcomes import Results, failure, input_errors, unconfirmed
from .send_status import final
from .times import epoch_ms


def send_body(action: OwedAction, email_id: int, ticket_id: str | None) -> dict[str, Any]:
    """The single-send request: the rendered subject and bodies travel as ``customProperties``."""
    payload = action.payload_as(EmailPayload)
    message: dict[str, Any] = {"to": payload.to.email, "sendId": action.external_id}
    if payload.cc:
        message["cc"] = [person.email for person in payload.cc]
    if payload.sender is not None and payload.sender.email:
        message["from"] = payload.sender.email
    custom = {
        "subject": payload.subject,
        "body": payload.text or "",
        "html": payload.html or "",
        "related_id": action.record_id,
    }
    if ticket_id:
        custom["ticket_id"] = ticket_id
    return {"emailId": email_id, "message": message, "customProperties": custom}


REF = "crm-sync ref "
_REF = re.compile(re.escape(REF) + r"(\S+)")


def _log_input(
    action: OwedAction, body: dict[str, Any], ticket_id: str | None, contact_id: str | None, now: datetime
) -> dict[str, Any]:
    message, custom = body["message"], body["customProperties"]
    headers = {
        "from": {"email": message.get("from", "")},
        "to": [{"email": message["to"]}],
        "cc": [{"email": address} for address in message.get("cc", [])],
    }
    associations = [association(ticket_id, AssociationType.EMAIL_TO_TICKET)] if ticket_id else []
    if contact_id:
        associations.append(association(contact_id, AssociationType.EMAIL_TO_CONTACT))
    text = "\n\n".join(part for part in (custom["body"], REF + action.external_id) if part)
    return {
        "objectWriteTraceId": action.external_id,
        "properties": {
            "hs_timestamp": epoch_ms(now),
            "hs_email_direction": "EMAIL",
            "hs_email_status": "SENT",
            "hs_email_subject": custom["subject"],
            "hs_email_text": text,
            "hs_email_html": custom["html"],
            "hs_email_headers": json.dumps(headers),
        },
        "associations": associations,
    }


def _logged(api: HubSpotApi, ticket_ids: Iterable[str], on: str = "tickets") -> dict[str, str]:
    """``{external id: email id}`` of the crm-sync logs already on these tickets (or other objects)."""
    email_ids = {
        str(t["toObjectId"])
        for targets in api.associations(on, "emails", ticket_ids).values()
        for t in targets
    }
    emails = api.read("emails", email_ids, ["hs_email_text"]) if email_ids else {}
    found = {}
    for email_id, email in emails.items():
        marked = _REF.search(email["properties"].get("hs_email_text") or "")
        if marked:
            found[marked.group(1)] = email_id
    return found


def deliver_emails(
    api: HubSpotApi,
    ctx: RecordContext,
    actions: Sequence[OwedAction],
    results: Results,
    email_id: int,
    now: Callable[[], datetime],
) -> None:
    """Send each email, then log the customer emails on their tickets, all into ``results``."""
    tickets = {action.record_id: ctx.ticket(action.record_id) for action in actions}
    to_log: list[tuple[OwedAction, dict[str, Any], str]] = []
    stopped: CrmUnavailable | None = None
    for action in actions:
        ticket_id = tickets[action.record_id]
        body = send_body(action, email_id, ticket_id)
        try:
            answer = api.send_email(body)
        except RequestFailed as exc:  # this email only (a bad address): the others still go
            results[action.key] = DeliveryResult.of_error(action.key, exc)
            continue
        except CrmUnavailable as exc:
            stopped = exc  # the rest is deferred by the caller; what was sent is still logged below
            break
        results[action.key] = _outcome(action, answer)
        if action.kind == SendEmail.name and ticket_id and results[action.key].status != "failed":
            to_log.append((action, body, ticket_id))
    if to_log:
        _log_sent(api, ctx, to_log, results, now)
    if stopped is not None:
        raise stopped


def _outcome(action: OwedAction, answer: dict[str, Any]) -> DeliveryResult:
    """A send's answer: usually queued (sent, to be confirmed by its ``statusId``), else already final."""
    status_id = str(answer["statusId"]) if answer.get("statusId") else None
    done = final(answer)
    if done is None:
        return DeliveryResult.sent(action.key, status_id)
    sent_out, why = done
    if sent_out:
        return DeliveryResult.delivered(action.key, status_id)
    return DeliveryResult.failed(action.key, why or "HubSpot did not send it", retryable=False)


def _log_sent(
    api: HubSpotApi,
    ctx: RecordContext,
    sent: Sequence[tuple[OwedAction, dict[str, Any], str | None]],
    results: Results,
    now: Callable[[], datetime],
) -> None:
    """Log sent emails on their tickets (or, without one, their contacts; a batch create per 100),
    skipping those an earlier attempt logged; an action whose log could not be made fails, retryable."""
    retried = [ticket_id for action, _, ticket_id in sent if action.tried and ticket_id]
    done = _logged(api, retried) if retried else {}
    # A log made while the record had no ticket yet is on its contact alone.
    on_contacts = [
        c for a, _, t in sent if a.tried and a.kind != SendEmail.name and (c := ctx.contact(a.record_id))
    ]
    if on_contacts:
        done.update(_logged(api, on_contacts, on="contacts"))
    pending = [(a, body, t) for a, body, t in sent if a.external_id not in done]
    for chunk in chunks(pending, OBJECT_BATCH):
        inputs = [_log_input(a, body, t, ctx.contact(a.record_id), now()) for a, body, t in chunk]
        try:
            answer = api.create("emails", inputs, idempotent=False)
        except ConnectorError as exc:
            for action, _, _ in chunk:
                results[action.key] = DeliveryResult.of_error(action.key, exc)
            continue
        made = {
            m.group(1)
            for r in answer["results"]
            if (m := _REF.search(r["properties"].get("hs_email_text") or ""))
        }
        errors = input_errors(answer)
        for action, _, _ in chunk:
            if action.external_id in made:
                continue
            results[action.key] = (
                failure(action, errors[action.external_id])
                if action.external_id in errors
                else unconfirmed(action, "email log")
            )


def deliver_logs(
    api: HubSpotApi,
    ctx: RecordContext,
    actions: Sequence[OwedAction],
    results: Results,
    now: Callable[[], datetime],
) -> None:
    """``log_email``: emails crm-sync sent by SMTP, logged on their record's crm-sync ticket and contact
    (on the contact alone while there is no ticket) like the customer emails sent through HubSpot: same
    reference, same look-up before a retry."""
    to_log: list[tuple[OwedAction, dict[str, Any], str | None]] = []
    for action in actions:
        payload = action.payload_as(LogEmailPayload)
        ticket_id = ctx.ticket(action.record_id)
        if not ticket_id and not ctx.contact(action.record_id):
            results[action.key] = DeliveryResult.failed(
                action.key, "neither a crm-sync ticket nor a contact to log the email on", give_up_after=3
            )
            continue
        message: dict[str, Any] = {"to": payload.to.email, "cc": [p.email for p in payload.cc]}
        if payload.sender is not None:
            message["from"] = payload.sender.email
        custom = {"subject": payload.subject, "body": payload.text or "", "html": payload.html or ""}
        to_log.append((action, {"message": message, "customProperties": custom}, ticket_id))
        results[action.key] = DeliveryResult.delivered(action.key, None)
    if to_log:
        _log_sent(api, ctx, to_log, results, now)
