"""The ``emailSimple`` standard invocable action: resolve recipients, record the email, log a Task."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..core import Outbox, SentEmail
from .errors import ApiError, SalesforceApiError
from .ids import normalize
from .store import RecordStore
from .usage import DailyUsage
from .writes import RecordWriter

ACTION = "emailSimple"
SENDER_TYPES = frozenset({"CurrentUser", "DefaultWorkflowUser", "OrgWideEmailAddress"})
_EMAIL_RE = re.compile(r"[^@\s,]+@[^@\s,]+\.[^@\s,]+")


class _InputError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.error = ApiError(code, message, ())


#: Task ``Description`` holds 32,000 characters (Task object reference); a longer logged body is cut.
TASK_DESCRIPTION_LIMIT = 32_000
NO_MASS_MAIL = "Single email is not enabled for your organization or profile."


def recipient_limit(version: str) -> int:
    """5 recipients (To and CC) in total before API v64.0; 150 from v64.0, the release whose Actions
    Developer Guide (256.0) adds the CC/BCC inputs."""
    return 150 if float(version) >= 64.0 else 5


def cc_input(version: str) -> str:
    """The emailSimple CC input: ``ccRecipientAddressList`` up to v64.0, ``ccAddresses`` from v65.0."""
    return "ccAddresses" if float(version) >= 65.0 else "ccRecipientAddressList"


def _addresses(raw: Any) -> list[str]:
    """A comma-separated list or an array of addresses."""
    items = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else []
    return [str(a).strip() for a in items if str(a).strip()]


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class EmailSimpleAction:
    """Sends each input of a batch independently; every sent email lands in the shared ``Outbox``."""

    def __init__(
        self,
        store: RecordStore,
        writer: RecordWriter,
        usage: DailyUsage,
        outbox: Outbox,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.writer = writer
        self.usage = usage
        self.outbox = outbox
        self.clock = clock

    def invoke(self, body: Any, actor: str, version: str) -> tuple[int, list[dict[str, Any]]]:
        """``(status, results)``: 200 when every input succeeded, else 400; results in input order."""
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            raise SalesforceApiError.single(400, "JSON_PARSER_ERROR", "Missing or empty 'inputs' parameter")
        results: list[dict[str, Any]] = []
        for item in inputs:
            try:
                self._send(item if isinstance(item, dict) else {}, actor, version)
                results.append(
                    {"actionName": ACTION, "errors": None, "isSuccess": True, "outputValues": None}
                )
            except _InputError as failure:
                results.append(
                    {
                        "actionName": ACTION,
                        "errors": [failure.error.as_result()],
                        "isSuccess": False,
                        "outputValues": None,
                    }
                )
        status = 200 if all(r["isSuccess"] for r in results) else 400
        return status, results

    def _send(self, item: dict[str, Any], actor: str, version: str) -> None:
        subject, text = self._required_text(item, "emailSubject"), self._required_text(item, "emailBody")
        sender = item.get("senderType", "CurrentUser")
        if sender not in SENDER_TYPES:
            raise _InputError("INVALID_API_INPUT", f"Invalid senderType: {sender}")
        if sender == "OrgWideEmailAddress" and not item.get("senderAddress"):
            raise _InputError("REQUIRED_FIELD_MISSING", "Missing required input parameter: senderAddress")
        recipients, who_id = self._recipients(item)
        if not recipients:
            raise _InputError("REQUIRED_FIELD_MISSING", "Missing required input parameter: emailAddresses")
        other_cc = {"ccAddresses", "ccRecipientAddressList"} - {cc_input(version)}
        if any(item.get(name) for name in other_cc):
            raise _InputError("INVALID_API_INPUT", f"Invalid input parameter at API v{version}: {other_cc.pop()}")
        cc = [a for a in dict.fromkeys(_addresses(item.get(cc_input(version)))) if a not in recipients]
        for address in cc:
            if not _EMAIL_RE.fullmatch(address):
                raise _InputError("INVALID_EMAIL_ADDRESS", f"Email address is invalid: {address}")
        if len(recipients) + len(cc) > recipient_limit(version):
            raise _InputError(
                "LIMIT_EXCEEDED",
                f"Too many recipients: at most {recipient_limit(version)} "
                "(To and CC inputs and recipientId combined)",
            )
        if self.writer.org.email_deliverability != "all_email":
            raise _InputError("NO_MASS_MAIL_PERMISSION", NO_MASS_MAIL)
        related = self._related(item.get("relatedRecordId"))
        log = _flag(item.get("logEmailOnSend"))
        now = self.clock()
        if not self.usage.take_emails(now, single=log, recipients=len(recipients) + len(cc)):
            code = "SINGLE_EMAIL_LIMIT_EXCEEDED" if log else "LIMIT_EXCEEDED"
            raise _InputError(code, "The daily limit for the org would be exceeded by this request")
        self.outbox.record(
            SentEmail(
                source="salesforce",
                to=recipients,
                cc=cc,
                subject=subject,
                body=text,
                related_id=related,
                sent_at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            )
        )
        if log:
            task = self._log_task(subject, text, related, who_id, actor, now)
            if self.writer.org.enhanced_email:
                rich = _flag(item.get("sendRichBody"))
                self._log_email_message(subject, text, rich, recipients, cc, related, task, actor, now)

    @staticmethod
    def _required_text(item: dict[str, Any], name: str) -> str:
        value = item.get(name)
        if not isinstance(value, str) or not value:
            raise _InputError("REQUIRED_FIELD_MISSING", f"Missing required input parameter: {name}")
        return value

    def _recipients(self, item: dict[str, Any]) -> tuple[list[str], str | None]:
        """Addresses in input order (duplicates dropped) and the Contact id to log as WhoId."""
        addresses: list[str] = []
        raw = item.get("emailAddresses")
        if isinstance(raw, str):
            addresses += _addresses(raw)
        array = item.get("emailAddressesArray")
        if isinstance(array, list):
            addresses += _addresses(array)
        for address in addresses:
            if not _EMAIL_RE.fullmatch(address):
                raise _InputError("INVALID_EMAIL_ADDRESS", f"Email address is invalid: {address}")
        who_id = None
        if item.get("recipientId"):
            address, obj_name, record_id = self._recipient_record(str(item["recipientId"]))
            addresses.append(address)
            who_id = record_id if obj_name == "Contact" else None
        return list(dict.fromkeys(addresses)), who_id

    def _recipient_record(self, value: str) -> tuple[str, str, str]:
        full = normalize(value)
        found = self.store.find(full) if full else None
        if found is None or found[1]["IsDeleted"] or found[0].name not in ("User", "Contact"):
            raise _InputError("INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}")
        obj, record = found
        if obj.name == "User" and not record["IsActive"]:
            raise _InputError(
                "INACTIVE_OWNER_OR_USER", f"operation performed with inactive user: {record['Id']}"
            )
        if not record.get("Email"):
            raise _InputError("INVALID_EMAIL_ADDRESS", f"The recipient {record['Id']} has no email address")
        return str(record["Email"]), obj.name, str(record["Id"])

    def _related(self, value: Any) -> str | None:
        if not value:
            return None
        full = normalize(str(value))
        found = self.store.find(full) if full else None
        if found is None or found[1]["IsDeleted"]:
            raise _InputError("INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}")
        return str(found[1]["Id"])

    def _log_task(
        self, subject: str, text: str, related: str | None, who_id: str | None, actor: str, now: datetime
    ) -> str:
        """The activity ``logEmailOnSend`` leaves: a completed Task (subtype Email) on the related record,
        its Description cut at 32,000 characters."""
        task = self.writer.object("Task")
        fields: dict[str, Any] = {
            "Subject": f"Email: {subject}"[:255],
            "Status": "Completed",
            "ActivityDate": now.astimezone(UTC).date().isoformat(),
            "Description": text[:TASK_DESCRIPTION_LIMIT],
            "WhoId": who_id,
            "TaskSubtype": "Email",
        }
        if self._relates(task, "WhatId", related):
            fields["WhatId"] = related
        return self.writer.create(task, fields, actor)

    def _relates(self, obj: Any, field_name: str, related: str | None) -> bool:
        field = obj.field(field_name)
        related_obj = self.store.schema.for_id(related) if related else None
        return field is not None and related_obj is not None and related_obj.name in field.reference_to

    def _log_email_message(
        self,
        subject: str,
        body: str,
        rich: bool,
        to: list[str],
        cc: list[str],
        related: str | None,
        task: str,
        actor: str,
        now: datetime,
    ) -> None:
        """With Enhanced Email the send is also an ``EmailMessage`` (status 3, sent) on the related
        record, linked to its Task through ``ActivityId`` (EmailMessage object reference)."""
        message = self.writer.object("EmailMessage")
        fields: dict[str, Any] = {
            "Subject": subject,
            "HtmlBody" if rich else "TextBody": body,
            "ToAddress": "; ".join(to),
            "CcAddress": "; ".join(cc) or None,
            "Status": "3",
            "MessageDate": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "ActivityId": task,
        }
        if self._relates(message, "RelatedToId", related):
            fields["RelatedToId"] = related
        self.writer.create(message, fields, actor)
