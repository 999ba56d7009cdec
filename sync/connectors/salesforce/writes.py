"""Carrying out owed actions in Salesforce, in batches, so that a retry never duplicates.

- ``create_task``: upsert through ``composite/sobjects/Task/Crm_Sync_Key__c`` (200 per call), keyed on
  the action's external id: a replayed call updates the Task it created instead of adding one.
- ``post_chatter``: ``FeedItem`` through ``composite/sobjects``. FeedItem has no external id, so an
  action that was attempted before (outcome unknown) first looks for its post on the record.
- ``send_email`` / ``notify``: ``actions/standard/emailSimple`` with many inputs per call, to the User id
  when known, logged on the record (``logEmailOnSend``). A retried email first looks for its logged copy
  (which carries the action's reference) so an email whose first attempt did go out is not sent twice.
- ``update_record``: ``composite/sobjects`` PATCH (idempotent by nature).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sync.connectors.base import BudgetExhausted, ConnectorError, DeliveryResult, OwedAction
from sync.connectors.salesforce.client import RETRYABLE_CODES, SalesforceClient
from sync.connectors.salesforce.polling import soql_string

COLLECTION_LIMIT = 200
EMAIL_LIMIT_WAIT = timedelta(hours=1)  # the SingleEmail allowance is daily: look again in an hour
TASK_KEY_FIELD = "Crm_Sync_Key__c"


def chunks(items: Sequence[OwedAction], size: int) -> Iterable[Sequence[OwedAction]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def reference(action: OwedAction) -> str:
    """The line every email carries, so its logged copy can be recognised."""
    return f"crm-sync ref {action.external_id}"


def _result(action: OwedAction, item: dict[str, Any]) -> DeliveryResult:
    """One ``{id, success, errors:[{statusCode, message, fields}]}`` of an sObject Collections response."""
    if item.get("success"):
        return DeliveryResult.delivered(action.key, item.get("id"))
    errors = item.get("errors") or []
    codes = {e.get("statusCode") or e.get("errorCode") for e in errors}
    message = "; ".join(f"{e.get('statusCode') or e.get('errorCode')}: {e.get('message')}" for e in errors)
    return DeliveryResult.failed(
        action.key, message or "failed without an error", retryable=bool(codes & RETRYABLE_CODES)
    )


def _target(action: OwedAction) -> str:
    """The record an action writes on (the polled record unless the payload says otherwise)."""
    return str(action.payload.get("related_id") or action.record_id)


def _user_id(person: Any) -> str | None:
    return person.get("user_id") if isinstance(person, dict) else None


class SalesforceWriter:
    def __init__(self, client: SalesforceClient) -> None:
        self.client = client

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        by_kind: dict[str, list[OwedAction]] = defaultdict(list)
        for action in actions:
            by_kind[action.kind].append(action)
        results: list[DeliveryResult] = []
        handlers = {
            "create_task": self._tasks,
            "post_chatter": self._chatter,
            "send_email": self._emails,
            "notify": self._emails,
            "update_record": self._updates,
        }
        for kind, group in by_kind.items():
            handler = handlers.get(kind)
            if handler is None:
                results += [
                    DeliveryResult.failed(a.key, f"Salesforce cannot {kind}", retryable=False) for a in group
                ]
                continue
            try:
                results += handler(group)
            except BudgetExhausted as exc:
                done = {r.key for r in results}
                results += [DeliveryResult.deferred(a.key, str(exc)) for a in actions if a.key not in done]
                return results
            except ConnectorError as exc:
                results += [
                    DeliveryResult.failed(a.key, str(exc), exc.retryable, exc.retry_after) for a in group
                ]
        return results

    def _restful(self, path: str, method: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        return self.client.call(lambda sf: _restful(sf, path, method, body))

    # -- Tasks -----------------------------------------------------------------------------------

    def _tasks(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        results = []
        for batch in chunks(actions, COLLECTION_LIMIT):
            records = [self._task_fields(a) for a in batch]
            body = {"allOrNone": False, "records": records}
            response = self._restful(f"composite/sobjects/Task/{TASK_KEY_FIELD}", "PATCH", body)
            results += [_result(a, item) for a, item in zip(batch, response, strict=True)]
        return results

    @staticmethod
    def _task_fields(action: OwedAction) -> dict[str, Any]:
        p = action.payload
        fields: dict[str, Any] = {
            "attributes": {"type": "Task"},
            TASK_KEY_FIELD: action.external_id,
            "Subject": (p.get("subject") or "")[:255],
            "WhatId": _target(action),
        }
        if p.get("description"):
            fields["Description"] = p["description"]
        if p.get("due_date"):
            fields["ActivityDate"] = p["due_date"]
        owner = _user_id(p.get("owner"))
        if owner:
            fields["OwnerId"] = owner
        for key, field in (("priority", "Priority"), ("status", "Status"), ("type", "TaskSubtype")):
            if p.get(key):
                fields[field] = p[key]
        fields.update({k: v for k, v in (p.get("fields") or {}).items()})
        return fields

    # -- Chatter ---------------------------------------------------------------------------------

    def _chatter(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        already = self._existing_posts([a for a in actions if a.attempts > 0])
        results = [DeliveryResult.delivered(a.key, already[a.key]) for a in actions if a.key in already]
        todo = [a for a in actions if a.key not in already]
        for batch in chunks(todo, COLLECTION_LIMIT):
            records = [
                {
                    "attributes": {"type": "FeedItem"},
                    "ParentId": _target(a),
                    "Body": a.payload["body"],
                }
                for a in batch
            ]
            body = {"allOrNone": False, "records": records}
            response = self._restful("composite/sobjects", "POST", body)
            results += [_result(a, item) for a, item in zip(batch, response, strict=True)]
        return results

    def _existing_posts(self, actions: Sequence[OwedAction]) -> dict[str, str]:
        """Posts an earlier, unacknowledged attempt already made (same record, same body)."""
        return self._earlier_writes(
            actions,
            "SELECT Id, ParentId, Body FROM FeedItem WHERE ParentId IN",
            "ParentId",
            lambda action, row: row.get("Body") == action.payload["body"],
        )

    def _earlier_writes(
        self,
        actions: Sequence[OwedAction],
        select: str,
        parent_field: str,
        matches: Callable[[OwedAction, dict[str, Any]], bool],
    ) -> dict[str, str]:
        """For actions attempted before with no known outcome: the id of the record a lost attempt made."""
        if not actions:
            return {}
        parents = sorted({_target(a) for a in actions})
        soql = f"{select} ({', '.join(soql_string(p) for p in parents)})"
        rows = self.client.call(lambda sf: sf.query_all(soql)).get("records", [])
        found: dict[str, str] = {}
        for action in actions:
            for row in rows:
                if row.get(parent_field) == _target(action) and matches(action, row):
                    found[action.key] = row["Id"]
                    break
        return found

    # -- Emails ----------------------------------------------------------------------------------

    def _email_input(self, action: OwedAction) -> dict[str, Any]:
        p = action.payload
        to = p.get("to") or {}
        ref = reference(action)
        item: dict[str, Any] = {
            "emailSubject": p["subject"],
            "logEmailOnSend": True,
            "senderType": "CurrentUser",
        }
        if p.get("html"):
            item["emailBody"] = f'{p["html"]}\n<p style="color:#999;font-size:10px">{ref}</p>'
            item["sendRichBody"] = True
        else:
            item["emailBody"] = f"{p.get('text') or ''}\n\n{ref}"
        if to.get("user_id"):
            item["recipientId"] = to["user_id"]
        else:
            item["emailAddresses"] = to.get("email", "")
        cc = [c["email"] for c in p.get("cc") or [] if c.get("email")]
        if cc:
            item["emailAddressesArray"] = cc
        if _target(action):
            item["relatedRecordId"] = _target(action)
        return item

    def _emails(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        already = self._logged_emails([a for a in actions if a.attempts > 0])
        results = [DeliveryResult.delivered(a.key, already[a.key]) for a in actions if a.key in already]
        todo = [a for a in actions if a.key not in already]
        limit: str | None = None
        for batch in chunks(todo, self.client.settings.email_batch_size):
            if limit is not None:  # the org's daily email allowance is spent: do not ask again today
                results += [DeliveryResult.deferred(a.key, limit, EMAIL_LIMIT_WAIT) for a in batch]
                continue
            body = {"inputs": [self._email_input(a) for a in batch]}
            response = self._restful("actions/standard/emailSimple", "POST", body)
            for action, item in zip(batch, response, strict=True):
                if item.get("isSuccess"):
                    results.append(DeliveryResult.delivered(action.key, None))
                    continue
                errors = item.get("errors") or []
                codes = {e.get("statusCode") for e in errors}
                message = "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in errors)
                if codes & {"SINGLE_EMAIL_LIMIT_EXCEEDED", "LIMIT_EXCEEDED"}:
                    limit = message
                    results.append(DeliveryResult.deferred(action.key, message, EMAIL_LIMIT_WAIT))
                else:
                    results.append(
                        DeliveryResult.failed(action.key, message, retryable=bool(codes & RETRYABLE_CODES))
                    )
        return results

    def _logged_emails(self, actions: Sequence[OwedAction]) -> dict[str, str]:
        """Emails an earlier, unacknowledged attempt already sent: their logged copy has our reference."""
        return self._earlier_writes(
            actions,
            "SELECT Id, WhatId, Description FROM Task WHERE Subject LIKE 'Email:%' AND WhatId IN",
            "WhatId",
            lambda action, row: reference(action) in (row.get("Description") or ""),
        )

    # -- Updates ---------------------------------------------------------------------------------

    def _updates(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        results = []
        for batch in chunks(actions, COLLECTION_LIMIT):
            records = [
                {
                    "attributes": {"type": a.payload["object"]},
                    "id": _target(a),
                    **a.payload["fields"],
                }
                for a in batch
            ]
            body = {"allOrNone": False, "records": records}
            response = self._restful("composite/sobjects", "PATCH", body)
            results += [_result(a, item) for a, item in zip(batch, response, strict=True)]
        return results


def _restful(sf: Salesforce, path: str, method: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """A REST call answering a list of per-record (or per-input) results. Invocable actions answer 400
    with those results when any input failed: that is per-input failure, not a failed call."""
    try:
        result = sf.restful(path, method=method, json=body)
    except SalesforceMalformedRequest as exc:
        if isinstance(exc.content, list) and exc.content and "isSuccess" in exc.content[0]:
            return exc.content
        raise
    if not isinstance(result, list):
        raise ConnectorError(
            f"Salesforce answered {path} with {type(result).__name__}, not a list of results"
        )
    return result
