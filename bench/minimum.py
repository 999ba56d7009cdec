"""The fewest CRM calls the APIs' documented batch limits allow for a given piece of work.

Computed from the work (records changed, people to look up, actions to write), never from crm-sync's
code or settings: the limits below are the CRMs' own, with where each is documented. The result maps
``(crm, endpoint)`` (labels of :mod:`bench.endpoints`) to a number of calls.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench import endpoints as ep

# -- Salesforce (REST API developer guide) ------------------------------------------------------------
#: A query returns up to 2,000 rows a batch ("Query" resource, "Change the Batch Size in Queries")...
SF_QUERY_PAGE = 2000
#: ...and at most 200 when the SELECT has two or more long-text fields.
SF_QUERY_PAGE_LONG_TEXT = 200
#: sObject Collections create/update/upsert: up to 200 records a call.
SF_COLLECTION = 200
#: emailSimple: no documented cap on inputs per call (only on recipients per input), so one call can
#: carry every email of a delivery.
SF_EMAIL_INPUTS: int | None = None

# -- HubSpot (developers.hubspot.com) -----------------------------------------------------------------
#: CRM search: at most 200 objects a page (search guide, "Limits").
HS_SEARCH_PAGE = 200
#: "Object API batch endpoints are limited to 100 inputs per request" (batch read/create/update).
HS_OBJECT_BATCH = 100
#: Associations v4 batch read: at most 1,000 ids a request (developer changelog, February 2025).
HS_ASSOCIATION_BATCH = 1000
#: Owners list: a page holds 100 by default (published owners spec); no larger maximum is documented.
HS_OWNERS_PAGE = 100
#: A transactional send's status is read one send a call (no batch read is published); crm-sync reads at
#: most ``hubspot.status_checks_per_cycle`` (200) a cycle.
HS_STATUS_CHECKS = 200

SCHEMA = Path(__file__).resolve().parents[1] / "sandbox" / "data" / "salesforce_schema.json"


def pages(items: int, size: int | None) -> int:
    """Calls to move ``items`` at ``size`` a call (one call when the endpoint has no documented cap)."""
    if items <= 0:
        return 0
    return 1 if size is None else math.ceil(items / size)


@dataclass
class StreamWork:
    """What one polled stream had to read in the measured cycle."""

    crm: str
    changed: int = 0  # records changed in the polled window
    polls: int = 1
    contacts: int = 0  # HubSpot: distinct contacts (and companies) behind the changed records
    companies: int = 0
    tickets: int = 0  # HubSpot: crm-sync tickets already linked to the changed records
    calls: int = 0  # HubSpot: calls logged in the window
    counts_calls: bool = False  # HubSpot: the stream counts calls logged on its tickets
    long_text_fields: int = 0  # Salesforce: long-text fields the stream selects


@dataclass
class Work:
    """Everything a cycle had to read and write."""

    streams: list[StreamWork] = field(default_factory=list)
    actions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (crm, action kind) -> count
    sends_to_confirm: int = 0  # HubSpot: sends made before the cycle still waiting for their status
    fresh_session: bool = False  # the cycle is the process's first: it logs in and reads reference data


def _salesforce(work: Work) -> Counter[str]:
    need: Counter[str] = Counter()
    for stream in (s for s in work.streams if s.crm == "salesforce"):
        size = SF_QUERY_PAGE_LONG_TEXT if stream.long_text_fields >= 2 else SF_QUERY_PAGE
        need[ep.SF_LIMITS] += stream.polls  # the org's clock and API usage, once per poll
        need[ep.SF_QUERY_ALL] += stream.polls
        need[ep.SF_QUERY_MORE] += max(0, pages(stream.changed, size) - 1)
    acted = {kind: n for (crm, kind), n in work.actions.items() if crm == "salesforce"}
    # Tasks, and the completed Tasks that log emails sent by SMTP, are upserted alike.
    need[ep.SF_TASK_UPSERT] += pages(acted.get("create_task", 0) + acted.get("log_email", 0), SF_COLLECTION)
    need[ep.SF_COLLECTION_CREATE] += pages(acted.get("post_chatter", 0), SF_COLLECTION)
    need[ep.SF_COLLECTION_UPDATE] += pages(acted.get("update_record", 0), SF_COLLECTION)
    emails = acted.get("notify", 0) + acted.get("send_email", 0)
    need[ep.SF_EMAIL_SIMPLE] += pages(emails, SF_EMAIL_INPUTS)
    if work.fresh_session and any(need.values()):
        need[ep.SF_TOKEN] += 1
    return need


def _hubspot(work: Work) -> Counter[str]:
    need: Counter[str] = Counter()
    changed = 0
    for stream in (s for s in work.streams if s.crm == "hubspot"):
        changed += stream.changed
        need[ep.HS_SEARCH_SUBMISSIONS] += max(stream.polls, pages(stream.changed, HS_SEARCH_PAGE))
        # Calls logged re-emit their submissions (``ticket.calls_logged``): a poll must ask for them.
        need[ep.HS_SEARCH_CALLS] += max(
            stream.polls if stream.counts_calls else 0, pages(stream.calls, HS_SEARCH_PAGE)
        )
        need[ep.HS_READ_CONTACTS] += pages(stream.contacts, HS_OBJECT_BATCH)
        need[ep.HS_READ_COMPANIES] += pages(stream.companies, HS_OBJECT_BATCH)
        need[ep.HS_CONTACT_COMPANIES] += pages(stream.contacts, HS_ASSOCIATION_BATCH)
        need[ep.HS_SUBMISSION_TICKETS] += pages(stream.changed, HS_ASSOCIATION_BATCH)
        need[ep.HS_READ_TICKETS] += pages(stream.tickets, HS_OBJECT_BATCH)
        need[ep.HS_TICKET_CALLS] += pages(stream.tickets, HS_ASSOCIATION_BATCH)
    if changed:
        need[ep.HS_OWNERS] += 1  # analysts and teams: one list of the portal's few owners
    acted = {kind: n for (crm, kind), n in work.actions.items() if crm == "hubspot"}
    tickets = acted.get("create_ticket", 0)
    if tickets and work.fresh_session:
        need[ep.HS_PIPELINES] += 1  # pipeline and stage labels to ids, once per process
    need[ep.HS_CREATE_TICKETS] += pages(tickets, HS_OBJECT_BATCH)
    need[ep.HS_CREATE_TASKS] += pages(acted.get("create_task", 0), HS_OBJECT_BATCH)
    # Contact emails are logged on their tickets: sent through HubSpot, or by SMTP (``log_email``).
    logged = acted.get("send_email", 0) + acted.get("log_email", 0)
    need[ep.HS_LOG_EMAILS] += pages(logged, HS_OBJECT_BATCH)
    need[ep.HS_SEND] += acted.get("send_email", 0) + acted.get("notify", 0)  # no batch send exists
    need[ep.HS_SEND_STATUS] += min(work.sends_to_confirm, HS_STATUS_CHECKS)  # sends are queued
    return need


def _chat(work: Work) -> Counter[str]:
    """Slack and Teams incoming webhooks take one message a call."""
    need: Counter[str] = Counter()
    for (target, _), n in work.actions.items():
        if target == "slack":
            need[ep.CHAT_SLACK] += n
        elif target == "teams":
            need[ep.CHAT_TEAMS] += n
    return need


def minimum(work: Work) -> dict[tuple[str, str], int]:
    """``{(crm, endpoint): fewest calls}`` for ``work`` (endpoints needing none are left out)."""
    found: dict[tuple[str, str], int] = {}
    for crm, need in (("salesforce", _salesforce(work)), ("hubspot", _hubspot(work)), ("chat", _chat(work))):
        found.update({(crm, label): n for label, n in need.items() if n})
    return found


def long_text_fields(sobject: str, fields: Iterable[str], schema: Path = SCHEMA) -> int:
    """How many of ``fields`` (relationship paths allowed) are long-text fields in the org's schema."""
    objects = {o["name"]: o for o in json.loads(schema.read_text())["objects"]}
    count = 0
    for path in fields:
        current = objects.get(sobject)
        *hops, last = path.split(".")
        for hop in hops:
            by_relationship = {f.get("relationshipName"): f for f in (current or {}).get("fields", [])}
            target = by_relationship.get(hop, {}).get("referenceTo", [None])[0]
            current = objects.get(target) if target else None
        spec = next((f for f in (current or {}).get("fields", []) if f["name"] == last), None)
        if spec and spec.get("type") == "textarea" and int(spec.get("length", 0)) > 255:
            count += 1
    return count
