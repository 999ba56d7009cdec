"""What the CRMs show: every email, Task, Chatter post, ticket, HubSpot task and logged email crm-sync
made, attributed to a scenario record (and recipient) by the CRMs' own links."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tests.chaos.oracle import Key
from tests.chaos.world import World

SF_EMAILS = {
    "New Service Level Intervention:": "sli alert email",
    "Reminder: no intervention plan yet": "sli reminder email",
    "Overdue:": "sli overdue email",
}
SF_TASKS = {
    "Contact client to ensure satisfaction": "sli check-in task",
    "Complete 14-day follow-up with the referral partner": "sli referral task",
    "Contact client in 30 days to ensure satisfaction": "sli not-satisfied task",
}
SF_POSTS = {
    "crm-sync alerted": "sli alert post",
    "This SLI is still unresolved 30 days": "sli overdue post",
}
HS_EMAILS = {
    "Following up on your feedback": "nps intro email",
    "NPS detractor ticket needs follow-up": "nps notify email",
    "Escalation: no call logged": "nps escalation email",
}
HS_TASKS = {"Call ": "nps call task", "Second call:": "nps second-call task"}
INTRO_SUBJECT = "Following up on your feedback"


def _category(text: str, prefixes: dict[str, str]) -> str | None:
    return next((category for prefix, category in prefixes.items() if text.startswith(prefix)), None)


@dataclass
class Observed:
    counts: Counter[Key] = field(default_factory=Counter)
    owners: dict[Key, list[str]] = field(default_factory=dict)  # owner keys, one per copy seen
    unattributed: list[str] = field(default_factory=list)  # crm-sync's writes no scenario record explains
    inconsistent: list[str] = field(default_factory=list)  # e.g. an email without its logged copy

    def add(
        self,
        category: str | None,
        record: str | None,
        recipient: str = "",
        owner: str | None = None,
        what: str = "",
    ) -> None:
        if category is None or record is None:
            self.unattributed.append(what)
            return
        key = (category, record, recipient.lower())
        self.counts[key] += 1
        if owner is not None:
            self.owners.setdefault(key, []).append(owner)


def _salesforce(world: World, seen: Observed) -> None:
    sf = world.box.salesforce
    slis = {crm_id: key for key, crm_id in world.slis.items()}
    people = {crm_id: key for key, crm_id in world.users.items()}
    sent: Counter[tuple[str, str]] = Counter()
    for email in world.box.emails():
        if email["source"] != "salesforce":
            continue
        sent[(email["related_id"], email["subject"])] += 1
        for address in email["to"]:
            seen.add(
                _category(email["subject"], SF_EMAILS),
                slis.get(email["related_id"]),
                address,
                what=f"Salesforce email {email['subject']!r} to {address} on {email['related_id']}",
            )
    logged: Counter[tuple[str, str]] = Counter()
    for task in sf.records("Task"):
        subject = task.get("Subject") or ""
        if task.get("Crm_Sync_Key__c"):
            owner = people.get(task.get("OwnerId"), task.get("OwnerId"))
            seen.add(
                SF_TASKS.get(subject),
                slis.get(task.get("WhatId")),
                owner=owner,
                what=f"Salesforce Task {subject!r} on {task.get('WhatId')}",
            )
        elif subject.startswith("Email: "):
            logged[(task.get("WhatId"), subject.removeprefix("Email: "))] += 1
        else:
            seen.unattributed.append(f"Salesforce Task {subject!r} without a crm-sync key")
    for pair in sorted(set(sent) | set(logged), key=str):
        if sent[pair] != logged[pair]:
            seen.inconsistent.append(
                f"{sent[pair]} Salesforce emails {pair[1]!r} on {pair[0]} but {logged[pair]} logged copies"
            )
    for post in sf.records("FeedItem"):
        body = post.get("Body") or ""
        category = "sli name post" if "please rename this SLI" in body else _category(body, SF_POSTS)
        seen.add(category, slis.get(post.get("ParentId")), what=f"Chatter post {body[:50]!r}")


def _hubspot(world: World, seen: Observed) -> None:
    hs = world.box.hubspot
    edges = world.associations()
    responses = {crm_id: key for key, crm_id in world.responses.items()}
    owners = {crm_id: key for key, crm_id in world.owners.items()}

    def linked(kind: str, crm_id: str, to: str) -> list[str]:
        return edges.get((kind, crm_id), {}).get(to, [])

    by_ticket = {
        ticket: responses.get(next(iter(linked("tickets", ticket, "feedback_submissions")), ""))
        for ticket in (t["id"] for t in hs.objects("tickets"))
    }
    by_contact = {
        contact: responses.get(sid)
        for sid in responses
        for contact in linked("feedback_submissions", sid, "contacts")
    }

    def record_of(kind: str, crm_id: str) -> str | None:
        for ticket in linked(kind, crm_id, "tickets"):
            if by_ticket.get(ticket):
                return by_ticket[ticket]
        return next((by_contact[c] for c in linked(kind, crm_id, "contacts") if by_contact.get(c)), None)

    for ticket in hs.objects("tickets"):
        props = ticket["properties"]
        if props.get("crm_sync_key"):
            owner = props.get("hubspot_owner_id")
            seen.add(
                "nps ticket",
                by_ticket.get(ticket["id"]),
                owner=owners.get(owner or "", owner),
                what=f"HubSpot ticket {ticket['id']} {props.get('subject')!r}",
            )
    for task in hs.objects("tasks"):
        props = task["properties"]
        subject = props.get("hs_task_subject") or ""
        owner = props.get("hubspot_owner_id")
        seen.add(
            _category(subject, HS_TASKS),
            record_of("tasks", task["id"]),
            owner=owners.get(owner or "", owner),
            what=f"HubSpot task {task['id']} {subject!r}",
        )
    for email in hs.objects("emails"):
        subject = email["properties"].get("hs_email_subject") or ""
        seen.add(
            "nps intro logged" if subject == INTRO_SUBJECT else None,
            record_of("emails", email["id"]),
            what=f"HubSpot logged email {email['id']} {subject!r}",
        )
    # Sent by SMTP (the shipped config's way), an email a kill resent between the server's acceptance
    # and the ledger commit carries the same Message-ID: the one message mail clients show (README,
    # "Channels": the documented window). A second Message-ID would be a duplicate.
    seen_ids: set[str] = set()
    for email in world.box.emails():
        if email["source"] not in ("hubspot", "smtp"):
            continue
        message_id = email.get("message_id")
        if message_id:
            if message_id in seen_ids:
                continue
            seen_ids.add(message_id)
        related = str(email["related_id"])
        record = by_ticket.get(related) or responses.get(related)
        for address in email["to"]:
            seen.add(
                _category(email["subject"], HS_EMAILS),
                record,
                address,
                what=f"HubSpot email {email['subject']!r} to {address} on {related}",
            )


def observe(world: World) -> Observed:
    """Read both CRMs."""
    seen = Observed()
    _salesforce(world, seen)
    _hubspot(world, seen)
    return seen
