"""Turn a rule that fires on a record into fully rendered planned actions, each with its idempotency key.

Pure: everything a CRM write needs (recipients, subject, bodies, due dates) is decided here, so the
ledger stores exactly what is owed and a retry sends the very same thing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from notifications.recipients import Directory, Recipient, Resolution, Resolver, Skipped, resolve
from notifications.rendering import render_email, render_text
from rules.expressions import ExpressionError
from rules.model import ActionSpec, RecipientRef, Rule, RuleSet, Timer


@dataclass(frozen=True)
class PlannedAction:
    """One write owed to a CRM. ``key`` is unique per rule, record, occurrence, action and recipient."""

    key: str
    rule_id: str
    kind: str
    target: str
    record_key: str
    record_id: str
    occurrence: str
    payload: Mapping[str, Any]

    @property
    def external_id(self) -> str:
        """A short, stable form of ``key`` for CRM fields (e.g. ``Crm_Sync_Key__c``, a HubSpot sendId)."""
        return "cs-" + hashlib.sha256(self.key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Notice:
    """Something an admin should see in ``status`` (a skipped recipient, a failing expression)."""

    rule_id: str
    kind: str
    message: str


@dataclass
class Plan:
    actions: list[PlannedAction] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    turns: dict[str, str] = field(default_factory=dict)  # round-robin team -> member whose turn was taken


def record_key(stream: str, record_id: str) -> str:
    return f"{stream}:{record_id}"


def _addresses(refs: list[RecipientRef], context: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for ref in refs:
        if ref.address is not None:
            out.extend(part for part in ref.address.render(context).replace(";", ",").split(","))
    return out


def _resolve_refs(refs: list[RecipientRef], resolver: Resolver, ctx: Mapping[str, Any]) -> Resolution:
    return resolve(resolver, [r.role for r in refs if r.role], _addresses(refs, ctx))


def _due(timer: Timer, record: Mapping[str, Any], now: datetime, zone: ZoneInfo) -> dict[str, str]:
    anchor = timer.anchor(record) if timer.field else now
    if anchor is None:
        raise ExpressionError(f"the due date needs {timer.field}, which is empty")
    due = timer.due(anchor)
    return {"due_at": due.isoformat(), "due_date": due.astimezone(zone).date().isoformat()}


def plan_firing(
    ruleset: RuleSet,
    rule: Rule,
    record: Mapping[str, Any],
    context: Mapping[str, Any],
    occurrence: str,
    now: datetime,
    directory: Directory | None = None,
) -> Plan:
    """The actions of ``rule`` firing once on ``record``; raises ``ExpressionError`` if any text fails."""
    stream = rule.stream
    record_id = str(record.get(stream.id_field))
    rkey = record_key(stream.name, record_id)
    base = f"{rule.id}:{rkey}:{occurrence}"
    plan = Plan()

    # Resolve every email's recipients first, so later texts (a Chatter post) can name who was alerted.
    resolver = Resolver(ruleset.roles, record, directory or Directory())
    resolutions: dict[str, tuple[Resolution, Resolution]] = {}
    alerted = Resolution()
    for spec in rule.actions:
        if spec.kind in ("send_email", "notify"):
            to = _resolve_refs(spec.params["to"], resolver, context)
            cc = _resolve_refs(spec.params["cc"], resolver, context)
            resolutions[spec.id] = (to, cc)
            for person in to.recipients + cc.recipients:
                alerted.add(person)
            for skipped in to.skipped + cc.skipped:
                if skipped not in alerted.skipped:
                    alerted.skipped.append(skipped)
    people = {name: resolver.first(name) for name in rule.context_roles}
    ctx = {
        **context,
        "rule": rule.id,
        "recipients": [r.as_dict() for r in alerted.recipients],
        "skipped": [s.as_dict() for s in alerted.skipped],
        "roles": {name: p.as_dict() if isinstance(p, Recipient) else None for name, p in people.items()},
    }
    for skipped in alerted.skipped:
        plan.notices.append(Notice(rule.id, "skipped_recipient", f"{skipped.role}: {skipped.reason}"))

    def add(spec: ActionSpec, payload: dict[str, Any], suffix: str = "") -> None:
        payload = {"related_id": record_id, **payload}
        plan.actions.append(
            PlannedAction(
                key=f"{base}:{spec.id}{suffix}",
                rule_id=rule.id,
                kind=spec.kind,
                target=spec.target,
                record_key=rkey,
                record_id=record_id,
                occurrence=occurrence,
                payload=payload,
            )
        )

    for spec in rule.actions:
        params = spec.params
        if spec.kind in ("send_email", "notify"):
            to, cc = resolutions[spec.id]
            sender = None
            if params.get("sender"):
                sender_res = _resolve_refs(params["sender"], resolver, ctx)
                sender = sender_res.recipients[0].as_dict() if sender_res.recipients else None
            cc_list = [
                c.as_dict() for c in cc.recipients if c.identity not in {t.identity for t in to.recipients}
            ]
            for person in to.recipients:
                email = render_email(
                    ruleset.templates,
                    params["template"],
                    params["subject"],
                    {**ctx, "recipient": person.as_dict()},
                )
                add(
                    spec,
                    {
                        "to": person.as_dict(),
                        "cc": cc_list,
                        "sender": sender,
                        "subject": email.subject,
                        "text": email.text,
                        "html": email.html,
                    },
                    suffix=f":{person.identity}",
                )
        elif spec.kind == "create_task":
            payload: dict[str, Any] = {
                "subject": render_text(params["subject"], ctx),
                "description": render_text(params.get("description"), ctx),
                "owner": None,
                "fields": {k: render_text(v, ctx) for k, v in params["fields"].items()},
            }
            for key in ("priority", "status", "type"):
                if key in params:
                    payload[key] = params[key]
            if params.get("due") is not None:
                payload.update(_due(params["due"], record, now, ruleset.timezone))
            if "owner" in params:
                owner = resolver.first(params["owner"])
                if isinstance(owner, Recipient):
                    payload["owner"] = owner.as_dict()
                else:
                    plan.notices.append(
                        Notice(rule.id, "skipped_recipient", f"task owner {owner.role}: {owner.reason}")
                    )
            add(spec, payload)
        elif spec.kind == "create_ticket":
            owner_dict = None
            if "owner" in params:
                owner = resolver.first(params["owner"])
                if isinstance(owner, Skipped):
                    plan.notices.append(
                        Notice(rule.id, "skipped_recipient", f"ticket owner {owner.role}: {owner.reason}")
                    )
                else:
                    owner_dict = owner.as_dict()
            add(
                spec,
                {
                    "subject": render_text(params["subject"], ctx),
                    "content": render_text(params.get("content"), ctx),
                    "pipeline": params["pipeline"],
                    "stage": params["stage"],
                    "owner": owner_dict,
                    "properties": {k: render_text(v, ctx) for k, v in params["properties"].items()},
                },
            )
        elif spec.kind == "post_chatter":
            add(spec, {"body": render_text(params["body"], ctx)})
        elif spec.kind == "update_record":
            add(
                spec,
                {
                    "object": stream.object,
                    "fields": {k: render_text(v, ctx) for k, v in params["fields"].items()},
                },
            )
    plan.turns = dict(resolver.turns)
    return plan
