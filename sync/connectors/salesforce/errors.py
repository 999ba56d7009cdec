"""How crm-sync reads Salesforce's answers: the retry table, and error bodies of every shape.

Codes from the REST API's status codes and error responses (``errorCode``/``statusCode``): see the
Salesforce REST API Developer Guide, "Status Codes and Error Responses", and the sObject errors of the
SOAP API's ``StatusCode`` enumeration, which the REST API reuses.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sync.connectors.errors import ErrorPolicy, ErrorRule, Verdict

#: The org's daily allowance for emails sent through the API is spent: look again in an hour.
EMAIL_LIMIT_WAIT = timedelta(hours=1)
EMAIL_LIMIT_CODES = frozenset({"SINGLE_EMAIL_LIMIT_EXCEEDED", "LIMIT_EXCEEDED"})

POLICY = ErrorPolicy(
    (
        # The org's rolling 24-hour API allocation is spent.
        ErrorRule(Verdict.DEFER, codes={"REQUEST_LIMIT_EXCEEDED"}),
        ErrorRule(Verdict.DEFER, codes=EMAIL_LIMIT_CODES, retry_after=EMAIL_LIMIT_WAIT),
        # Transient on the server side; a concurrent upsert of the same external id loses the race.
        ErrorRule(
            Verdict.RETRY,
            codes={
                "UNABLE_TO_LOCK_ROW",
                "SERVER_UNAVAILABLE",
                "REQUEST_RUNNING_TOO_LONG",
                "QUERY_TIMEOUT",
                "DUPLICATE_VALUE",
            },
        ),
        # The request itself is wrong for this org or record: repeating it cannot help.
        ErrorRule(
            Verdict.REJECT,
            codes={
                "INVALID_FIELD",
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                "INVALID_TYPE",
                "INVALID_ID_FIELD",
                "MALFORMED_ID",
                "MALFORMED_QUERY",
                "REQUIRED_FIELD_MISSING",
                "STRING_TOO_LONG",
                "INVALID_CROSS_REFERENCE_KEY",
                "INVALID_EMAIL_ADDRESS",
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                "FIELD_INTEGRITY_EXCEPTION",
                "ENTITY_IS_DELETED",
                "NOT_FOUND",
                "INVALID_SESSION_ID_FOR_RECORD",
                "NO_MASS_MAIL_PERMISSION",
            },
        ),
    )
)


def error_code(content: Any) -> str | None:
    """The ``errorCode`` of a Salesforce error body (a list of ``{message, errorCode, fields}``)."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return content[0].get("errorCode") or content[0].get("statusCode")
    if isinstance(content, dict):
        return content.get("errorCode") or content.get("error")
    return None


def error_message(content: Any) -> str:
    """A short message from any error body: Salesforce's list, an OAuth object, HTML or plain text."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return "; ".join(f"{e.get('errorCode') or e.get('statusCode')}: {e.get('message')}" for e in content)
    if isinstance(content, dict):
        return str(
            content.get("error_description") or content.get("message") or content.get("error") or content
        )
    text = str(content or "").strip()
    if text.lstrip().startswith("<"):
        return f"an HTML page ({len(text)} bytes), not a Salesforce answer"
    return text[:500] or "an empty answer"
