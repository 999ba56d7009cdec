"""CRM endpoints as the benchmark names them: ``METHOD path`` with versions, ids and locators folded.

The sandbox's request log gives ``(crm, method, path)``; :func:`endpoint` turns each into one label so
calls can be counted per endpoint and set against :mod:`bench.minimum`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

_SF_DATA = re.compile(r"^/services/data/v\d+\.\d+/")
_SF_ID = re.compile(r"^(?=.*\d)[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_LOCATOR = re.compile(r"^[A-Za-z0-9]+-\d+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

# Salesforce
SF_TOKEN = "POST oauth2/token"
SF_LIMITS = "GET limits"
SF_QUERY_ALL = "GET queryAll"
SF_QUERY_MORE = "GET query/{locator}"
SF_QUERY = "GET query"
SF_TASK_UPSERT = "PATCH composite/sobjects/Task/Crm_Sync_Key__c"
SF_COLLECTION_CREATE = "POST composite/sobjects"
SF_COLLECTION_UPDATE = "PATCH composite/sobjects"
SF_EMAIL_SIMPLE = "POST actions/standard/emailSimple"

# HubSpot
HS_SEARCH_SUBMISSIONS = "POST crm/v3/objects/feedback_submissions/search"
HS_SEARCH_CALLS = "POST crm/v3/objects/calls/search"
HS_READ_CONTACTS = "POST crm/v3/objects/contacts/batch/read"
HS_READ_COMPANIES = "POST crm/v3/objects/companies/batch/read"
HS_READ_TICKETS = "POST crm/v3/objects/tickets/batch/read"
HS_CONTACT_COMPANIES = "POST crm/v4/associations/contacts/companies/batch/read"
HS_SUBMISSION_TICKETS = "POST crm/v4/associations/feedback_submissions/tickets/batch/read"
HS_TICKET_CALLS = "POST crm/v4/associations/tickets/calls/batch/read"
HS_OWNERS = "GET crm/v3/owners"
HS_PIPELINES = "GET crm/v3/pipelines/tickets"
HS_CREATE_TICKETS = "POST crm/v3/objects/tickets/batch/create"
HS_CREATE_TASKS = "POST crm/v3/objects/tasks/batch/create"
HS_LOG_EMAILS = "POST crm/v3/objects/emails/batch/create"
HS_SEND = "POST marketing/v3/transactional/single-email/send"
HS_SEND_STATUS = "GET marketing/v3/email/send-statuses/{id}"

# Chat webhooks (the bench host's receivers; one message a call, as Slack and Teams take them)
CHAT_SLACK = "POST chat/slack/{room}"
CHAT_TEAMS = "POST chat/teams/{room}"

#: Endpoints that take one message per call: counted, but outside the targeted total.
SENDS = frozenset({HS_SEND, HS_SEND_STATUS, CHAT_SLACK, CHAT_TEAMS})


def _segment(part: str) -> str:
    if part.isdigit():
        return "{id}"
    if _SF_ID.match(part) or _UUID.match(part):
        return "{id}"
    return part


def endpoint(method: str, path: str) -> str:
    """``"GET limits"``, ``"POST crm/v3/objects/{type}/batch/read"``... for one logged request."""
    method = method.upper()
    if _SF_DATA.match(path):
        path = _SF_DATA.sub("", path)
    elif path.startswith("/services/"):
        path = path.removeprefix("/services/")
    parts = [p for p in path.strip("/").split("/") if p]
    if parts[:1] == ["chat"] and len(parts) == 3:
        return f"{method} chat/{parts[1]}/{{room}}"
    if parts[:1] in (["query"], ["queryAll"]) and len(parts) > 1 and _LOCATOR.match(parts[1]):
        return f"{method} query/{{locator}}"
    return f"{method} {'/'.join(_segment(p) for p in parts)}"


def count_calls(requests: Iterable[Mapping[str, Any]]) -> Counter[tuple[str, str]]:
    """``{(crm, endpoint): calls}`` for entries of the sandbox's request log."""
    counts: Counter[tuple[str, str]] = Counter()
    for request in requests:
        crm = str(request.get("crm") or "unknown")
        counts[(crm, endpoint(str(request["method"]), str(request["path"])))] += 1
    return counts
