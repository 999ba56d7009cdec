"""Carrying out owed actions in Salesforce, in batches, so that a retry never duplicates.

- ``create_task``: upsert through ``composite/sobjects/Task/Crm_Sync_Key__c`` (200 per call), keyed on
  the action's external id: a replayed call updates the Task it created instead of adding one.
  ``TaskSubtype`` can be set on create only: a Task with a type is created through ``composite/sobjects``
  and, when its key exists already (``DUPLICATE_VALUE``), upserted without it. An upsert that loses a race
  to a concurrent one on the same key (``DUPLICATE_VALUE``) is repeated once.
- ``post_chatter``: ``FeedItem`` through ``composite/sobjects`` (see ``chatter``). FeedItem has no
  external id, so an action attempted before (outcome unknown) first looks for its post on the record.
- ``send_email`` / ``notify``: ``actions/standard/emailSimple`` with many inputs per call, to the User id
  when known, logged on the record (``logEmailOnSend``); see ``email``. A retried email first looks for
  its logged copy (an EmailMessage, else a Task, carrying the action's reference) so an email whose first
  attempt did go out is not sent twice.
- ``update_record``: ``composite/sobjects`` PATCH (idempotent by nature).
- ``log_email`` (an email crm-sync sent by SMTP): a completed email Task on the record, upserted on the
  action's external id like ``create_task``, so the record's activity timeline shows what went out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from rules.actions.chatter import ChatterPayload, PostChatter
from rules.actions.email import EmailPayload, Notify, SendEmail
from rules.actions.log_email import LogEmail, LogEmailPayload
from rules.actions.task import CreateTask, TaskPayload
from rules.actions.update import UpdatePayload, UpdateRecord
from sync.connectors.base import ConnectorError, CrmUnavailable, DeliveryResult, OwedAction, chunks
from sync.connectors.salesforce import chatter, email
from sync.connectors.salesforce.client import SalesforceClient
from sync.connectors.salesforce.errors import EMAIL_LIMIT_CODES, EMAIL_LIMIT_WAIT, POLICY
from sync.connectors.salesforce.polling import soql_string

COLLECTION_LIMIT = 200
TASK_KEY_FIELD = "Crm_Sync_Key__c"
#: Task ``TaskSubtype``, a restricted picklist (Task object reference).
TASK_SUBTYPES = ("Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn")
DUPLICATE_VALUE = "DUPLICATE_VALUE"
#: What a permanent error code means for the admin who must fix it.
HINTS = {
    "NO_MASS_MAIL_PERMISSION": "the org may not send email: set Setup > Deliverability > Access level to "
    "'All email' (and allow the integration user to send email through the API)",
}


def reference(action: OwedAction) -> str:
    """The token every email and post carries, so an earlier write can be recognised."""
    return email.reference(action.external_id)


def task_subtype(value: str) -> str:
    """The documented ``TaskSubtype`` value ``value`` names (any case); ``ValueError`` if none."""
    found = next((t for t in TASK_SUBTYPES if t.casefold() == value.casefold()), None)
    if found is None:
        raise ValueError(f"task type {value!r} is not a Salesforce TaskSubtype ({', '.join(TASK_SUBTYPES)})")
    return found


def _codes(item: dict[str, Any]) -> set[str]:
    return {str(e.get("statusCode") or e.get("errorCode")) for e in item.get("errors") or [] if isinstance(e, dict)}


def _result(action: OwedAction, item: dict[str, Any]) -> DeliveryResult:
    """One ``{id, success, errors:[{statusCode, message, fields}]}`` of an sObject Collections response."""
    if item.get("success"):
        return DeliveryResult.delivered(action.key, item.get("id"))
    return _failure(action, item.get("errors") or [])


def _failure(action: OwedAction, errors: list[dict[str, Any]]) -> DeliveryResult:
    """A per-record failure, decided by the retry table on its (first) error code."""
    codes = [e.get("statusCode") or e.get("errorCode") for e in errors if isinstance(e, dict)]
    message = "; ".join(f"{e.get('statusCode') or e.get('errorCode')}: {e.get('message')}" for e in errors)
    hints = [HINTS[c] for c in codes if c in HINTS]
    if hints:
        message = f"{message} ({hints[0]})"
    error = POLICY.error(message or "failed without an error", None, codes[0] if codes else None)
    return DeliveryResult.of_error(action.key, error)


def _logged_as_task(action: OwedAction) -> OwedAction:
    """A ``log_email`` as the completed email Task that records it."""
    sent = action.payload_as(LogEmailPayload)
    heading = [f"To: {sent.to.email}"] + ([f"Cc: {', '.join(p.email for p in sent.cc)}"] if sent.cc else [])
    task = TaskPayload(
        related_id=sent.related_id,
        subject=f"Email: {sent.subject}",
        description="\n".join([*heading, "", sent.text or ""]).strip()[:32000],
        status="Completed",  # TaskSubtype "Email" would be closer, but Salesforce takes it on create only
    )
    return replace(action, payload=task)


def _target(action: OwedAction) -> str:
    """The record an action writes on (the polled record unless the payload says otherwise)."""
    return str(action.payload.related_id or action.record_id)


class SalesforceWriter:
    #: The action kinds Salesforce carries out.
    HANDLED = (
        CreateTask.name,
        PostChatter.name,
        SendEmail.name,
        Notify.name,
        UpdateRecord.name,
        LogEmail.name,
    )

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        """One result per action. Results are kept chunk by chunk: when the org stops answering (budget,
        access) mid-way, what went out stays delivered and only what was never sent is deferred."""
        self.client.refresh_budget()
        by_kind: dict[str, list[OwedAction]] = defaultdict(list)
        for action in actions:
            by_kind[action.kind].append(action)
        results: dict[str, DeliveryResult] = {}
        handlers = {
            CreateTask.name: self._tasks,
            PostChatter.name: self._chatter,
            SendEmail.name: self._emails,
            Notify.name: self._emails,
            UpdateRecord.name: self._updates,
            LogEmail.name: lambda group: self._tasks([_logged_as_task(a) for a in group]),
        }
        stopped: CrmUnavailable | None = None
        for kind, group in by_kind.items():
            handler = handlers.get(kind)
            if handler is None:
                results.update(
                    (a.key, DeliveryResult.failed(a.key, f"Salesforce cannot {kind}", retryable=False))
                    for a in group
                )
                continue
            try:
                for chunk_results in handler(group):
                    results.update((r.key, r) for r in chunk_results)
            except CrmUnavailable as exc:
                stopped = exc
                break
        reason = str(stopped) if stopped else "not attempted"
        retry_after = stopped.retry_after if stopped else None
        return [results.get(a.key) or DeliveryResult.deferred(a.key, reason, retry_after) for a in actions]

    def _chunked(
        self,
        actions: Sequence[OwedAction],
        size: int,
        send: Callable[[Sequence[OwedAction]], list[DeliveryResult]],
    ) -> Iterator[list[DeliveryResult]]:
        """Send chunk by chunk; a failed call fails its chunk only (the org's being unavailable stops all)."""
        for chunk in chunks(actions, size):
            try:
                yield send(chunk)
            except CrmUnavailable:
                raise
            except ConnectorError as exc:
                yield [DeliveryResult.of_error(a.key, exc) for a in chunk]

    def _restful(
        self, path: str, method: str, body: dict[str, Any], idempotent: bool = True
    ) -> list[dict[str, Any]]:
        return self.client.call(lambda sf: _restful(sf, path, method, body), idempotent)

    # -- Tasks -----------------------------------------------------------------------------------

    def _tasks(self, actions: Sequence[OwedAction]) -> Iterator[list[DeliveryResult]]:
        typed: list[OwedAction] = []
        plain: list[OwedAction] = []
        refused: list[DeliveryResult] = []
        for action in actions:
            kind = action.payload_as(TaskPayload).type
            try:
                (typed if kind and task_subtype(kind) else plain).append(action)
            except ValueError as exc:
                refused.append(DeliveryResult.failed(action.key, str(exc), retryable=False))
        yield refused
        yield from self._chunked(typed, COLLECTION_LIMIT, self._create_tasks)
        yield from self._chunked(plain, COLLECTION_LIMIT, self._upsert_tasks)

    def _create_tasks(self, batch: Sequence[OwedAction]) -> list[DeliveryResult]:
        """Create with ``TaskSubtype``; a Task whose key exists (an earlier attempt made it) is upserted
        without it. Repeating the call is safe: the key is unique, so a repeat is a DUPLICATE_VALUE."""
        body = {"allOrNone": False, "records": [self._task_fields(a, subtype=True) for a in batch]}
        response = self._restful("composite/sobjects", "POST", body)
        results: dict[str, DeliveryResult] = {}
        existing: list[OwedAction] = []
        for action, item in zip(batch, response, strict=True):
            if not item.get("success") and DUPLICATE_VALUE in _codes(item):
                existing.append(action)
            else:
                results[action.key] = _result(action, item)
        if existing:
            results.update((r.key, r) for r in self._upsert_tasks(existing))
        return [results[a.key] for a in batch]

    def _upsert_tasks(self, batch: Sequence[OwedAction], again: bool = True) -> list[DeliveryResult]:
        """Upsert by key (never with ``TaskSubtype``: an update refuses it); a record that lost a race to a
        concurrent upsert of its key (DUPLICATE_VALUE) is upserted once more, now an update."""
        body = {"allOrNone": False, "records": [self._task_fields(a, subtype=False) for a in batch]}
        response = self._restful(f"composite/sobjects/Task/{TASK_KEY_FIELD}", "PATCH", body)
        results: dict[str, DeliveryResult] = {}
        raced: list[OwedAction] = []
        for action, item in zip(batch, response, strict=True):
            if again and not item.get("success") and DUPLICATE_VALUE in _codes(item):
                raced.append(action)
            else:
                results[action.key] = _result(action, item)
        if raced:
            results.update((r.key, r) for r in self._upsert_tasks(raced, again=False))
        return [results[a.key] for a in batch]

    @staticmethod
    def _task_fields(action: OwedAction, subtype: bool) -> dict[str, Any]:
        p = action.payload_as(TaskPayload)
        fields: dict[str, Any] = {
            "attributes": {"type": "Task"},
            TASK_KEY_FIELD: action.external_id,
            "Subject": p.subject[:255],
            "WhatId": _target(action),
        }
        if p.description:
            fields["Description"] = p.description
        if p.due_date:
            fields["ActivityDate"] = p.due_date.isoformat()
        if p.owner is not None and p.owner.user_id:
            fields["OwnerId"] = p.owner.user_id
        for value, field in ((p.priority, "Priority"), (p.status, "Status")):
            if value:
                fields[field] = value
        if subtype and p.type:
            fields["TaskSubtype"] = task_subtype(p.type)
        fields.update(p.fields)
        if not subtype:
            fields.pop("TaskSubtype", None)
        return fields

    # -- Chatter ---------------------------------------------------------------------------------

    def _chatter(self, actions: Sequence[OwedAction]) -> Iterator[list[DeliveryResult]]:
        already = self._existing_posts([a for a in actions if a.tried])
        yield [DeliveryResult.delivered(a.key, already[a.key]) for a in actions if a.key in already]

        def send(batch: Sequence[OwedAction]) -> list[DeliveryResult]:
            records = []
            for action in batch:
                body, rich = chatter.post_body(action.payload_as(ChatterPayload).body, reference(action))
                records.append(
                    {"attributes": {"type": "FeedItem"}, "ParentId": _target(action), "Body": body, "IsRichText": rich}
                )
            response = self._restful(
                "composite/sobjects", "POST", {"allOrNone": False, "records": records}, idempotent=False
            )
            return [_result(a, item) for a, item in zip(batch, response, strict=True)]

        yield from self._chunked([a for a in actions if a.key not in already], COLLECTION_LIMIT, send)

    def _existing_posts(self, actions: Sequence[OwedAction]) -> dict[str, str]:
        """Posts an earlier, unacknowledged attempt already made (same record, the action's token)."""
        return self._earlier_writes(
            actions,
            "SELECT Id, ParentId, Body FROM FeedItem WHERE ParentId IN",
            "ParentId",
            lambda action, row: chatter.carries(row.get("Body"), reference(action)),
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
        p = action.payload_as(EmailPayload)
        return email.email_input(p, reference(action), _target(action), self.client.settings.api_version)

    def _emails(self, actions: Sequence[OwedAction]) -> Iterator[list[DeliveryResult]]:
        version = self.client.settings.api_version
        capped = {
            a.key: DeliveryResult.failed(a.key, reason, retryable=False)
            for a in actions
            if (reason := email.too_many_recipients(a.payload_as(EmailPayload), version))
        }
        yield list(capped.values())
        actions = [a for a in actions if a.key not in capped]
        already = self._logged_emails([a for a in actions if a.tried])
        yield [DeliveryResult.delivered(a.key, already[a.key]) for a in actions if a.key in already]
        limit: list[str] = []  # set once the org's daily email allowance is spent

        def send(batch: Sequence[OwedAction]) -> list[DeliveryResult]:
            if limit:  # do not ask again today
                return [DeliveryResult.deferred(a.key, limit[0], EMAIL_LIMIT_WAIT) for a in batch]
            response = self._restful(
                "actions/standard/emailSimple",
                "POST",
                {"inputs": [self._email_input(a) for a in batch]},
                idempotent=False,  # an email sent is sent: a lost answer is checked on the next attempt
            )
            out = []
            for action, item in zip(batch, response, strict=True):
                if item.get("isSuccess"):
                    out.append(DeliveryResult.delivered(action.key, None))
                    continue
                errors = item.get("errors") or []
                result = _failure(action, errors)
                if {e.get("statusCode") for e in errors} & EMAIL_LIMIT_CODES:
                    limit[:] = [result.error or "the org's daily email allowance is spent"]
                out.append(result)
            return out

        yield from self._chunked(
            [a for a in actions if a.key not in already], self.client.settings.email_batch_size, send
        )

    def _logged_emails(self, actions: Sequence[OwedAction]) -> dict[str, str]:
        """Emails an earlier, unacknowledged attempt already sent: their logged copy carries our reference.
        Enhanced Email keeps it as an EmailMessage on the record; without it (or where that finds none)
        the send's Task, whose Description starts with the body."""
        found: dict[str, str] = {}
        try:
            found = self._earlier_writes(
                actions,
                email.ENHANCED_EMAIL_LOOKUP,
                "RelatedToId",
                lambda action, row: email.logged_with(row, reference(action), "TextBody", "HtmlBody"),
            )
        except CrmUnavailable:
            raise
        except ConnectorError as exc:
            if "INVALID_TYPE" not in str(exc):  # an org without EmailMessage: the Task tells
                raise
        rest = [a for a in actions if a.key not in found]
        found.update(
            self._earlier_writes(
                rest,
                email.TASK_LOOKUP,
                "WhatId",
                lambda action, row: email.logged_with(row, reference(action), "Description"),
            )
        )
        return found

    # -- Updates ---------------------------------------------------------------------------------

    def _updates(self, actions: Sequence[OwedAction]) -> Iterator[list[DeliveryResult]]:
        def send(batch: Sequence[OwedAction]) -> list[DeliveryResult]:
            updates = [(a, a.payload_as(UpdatePayload)) for a in batch]
            records = [{"attributes": {"type": p.object}, "id": _target(a), **p.fields} for a, p in updates]
            response = self._restful("composite/sobjects", "PATCH", {"allOrNone": False, "records": records})
            return [_result(a, item) for a, item in zip(batch, response, strict=True)]

        return self._chunked(actions, COLLECTION_LIMIT, send)


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
        raise POLICY.error(
            f"Salesforce answered {path} with {type(result).__name__}, not a list of results", None
        )
    return result
