"""Emails through the ``emailSimple`` action, as a real org takes and logs them.

- The action's reference goes at the top of the body (a hidden block in HTML, the first line in text),
  where neither the Task Description's 32,000-character cap nor a long body can cut it.
- CCs use the action's CC input: ``ccRecipientAddressList`` up to API v64.0, ``ccAddresses`` from v65.0
  (Actions Developer Guide, ``actions_obj_email_simple.htm``, API 62 and 65 editions).
- To and CC count against one cap: 5 recipients before v64.0, 150 from v64.0 (the guide's 256.0 edition,
  which adds the CC inputs). More is a permanent failure: the pinned version cannot send it.
- With Enhanced Email (most orgs) a logged send is an ``EmailMessage`` related to the record and linked to
  its Task; without it, the Task alone, whose Description holds the body.
"""

from __future__ import annotations

from html import escape
from typing import Any

from rules.actions.email import EmailPayload

ENHANCED_EMAIL_LOOKUP = "SELECT Id, RelatedToId, TextBody, HtmlBody FROM EmailMessage WHERE RelatedToId IN"
TASK_LOOKUP = "SELECT Id, WhatId, Description FROM Task WHERE Subject LIKE 'Email:%' AND WhatId IN"


def reference(external_id: str) -> str:
    """The line every email carries, so its logged copy can be recognised."""
    return f"[crm-sync ref {external_id}]"


def recipient_cap(api_version: str) -> int:
    return 150 if float(api_version) >= 64.0 else 5


def cc_input(api_version: str) -> str:
    return "ccAddresses" if float(api_version) >= 65.0 else "ccRecipientAddressList"


def cc_addresses(payload: EmailPayload) -> list[str]:
    """CC addresses, without the To address and repeats."""
    to = payload.to.email.casefold()
    return list(dict.fromkeys(c.email for c in payload.cc if c.email and c.email.casefold() != to))


def too_many_recipients(payload: EmailPayload, api_version: str) -> str | None:
    """Why the pinned API version cannot send this email, or None."""
    count = 1 + len(cc_addresses(payload))
    cap = recipient_cap(api_version)
    if count <= cap:
        return None
    return (
        f"{count} recipients (To and CC) exceed the {cap} emailSimple allows at API v{api_version}; "
        "raise salesforce.api_version to 64.0 or later (150) or name fewer CC roles"
    )


def body_with_reference(payload: EmailPayload, ref: str) -> tuple[str, bool]:
    """``(emailBody, sendRichBody)`` with the reference at the top."""
    if payload.html:
        return f'<div style="display:none">{escape(ref, quote=False)}</div>{payload.html}', True
    return f"{ref}\n\n{payload.text or ''}", False


def email_input(payload: EmailPayload, ref: str, related_id: str | None, api_version: str) -> dict[str, Any]:
    body, rich = body_with_reference(payload, ref)
    item: dict[str, Any] = {
        "emailSubject": payload.subject,
        "emailBody": body,
        "logEmailOnSend": True,
        "senderType": "CurrentUser",
    }
    if rich:
        item["sendRichBody"] = True
    if payload.to.user_id:
        item["recipientId"] = payload.to.user_id
    else:
        item["emailAddresses"] = payload.to.email
    cc = cc_addresses(payload)
    if cc:
        item[cc_input(api_version)] = ",".join(cc)
    if related_id:
        item["relatedRecordId"] = related_id
    return item


def logged_with(row: dict[str, Any], ref: str, *fields: str) -> bool:
    """Whether a logged copy (EmailMessage bodies, Task Description) carries ``ref``."""
    return any(ref in str(row.get(f) or "") or escape(ref, quote=False) in str(row.get(f) or "") for f in fields)
