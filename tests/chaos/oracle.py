"""What the CRMs should show, computed from the scenario alone: the rules of config.yaml as the two
processes state them, evaluated at the steps (every step ends with nothing owed, so each timer is decided
at the first step at or after its due time, on the CRM's state then). Not derived from crm-sync's code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.chaos.scenario import ANALYSTS, BPA, MANAGERS, Response, Scenario, Sli, Timeline

ZONE = ZoneInfo("America/New_York")  # config.yaml's timezone: a date field's timer counts from its midnight
LEAD = "cs-lead@cs.example"  # the customer_success_lead role (CRM_SYNC_CS_LEAD_EMAIL)
NAME_FORMAT = re.compile(r"[^ ].* - [^ ].*")

Key = tuple[str, str, str]  # (category, record key, recipient address or "")
Change = tuple[datetime, str, dict[str, object]]  # (when it was made, event id, the fields it set)
State = dict[str, object]

# category -> the rule whose firing owes it
RULES = {
    "sli alert email": "sli-alert-on-submission",
    "sli alert post": "sli-alert-on-submission",
    "sli name post": "sli-name-format",
    "sli reminder email": "sli-plan-reminder-24h",
    "sli check-in task": "sli-client-check-in-14d",
    "sli referral task": "sli-referral-follow-up-14d",
    "sli not-satisfied task": "sli-still-not-satisfied-14d",
    "sli overdue email": "sli-unresolved-30d",
    "sli overdue post": "sli-unresolved-30d",
    "nps ticket": "nps-detractor-ticket",
    "nps intro email": "nps-detractor-ticket",
    "nps intro logged": "nps-detractor-ticket",
    "nps notify email": "nps-detractor-ticket",
    "nps call task": "nps-detractor-ticket",
    "nps escalation email": "nps-no-call-48h",
    "nps second-call task": "nps-no-call-48h",
}
CATEGORIES = tuple(RULES)


@dataclass(frozen=True)
class Spared:
    """A timed effect that is not owed because the CRM changed before the step that decides it."""

    decided: datetime
    because: str  # the event id


@dataclass
class Expected:
    owed: set[Key] = field(default_factory=set)
    owners: dict[Key, frozenset[str]] = field(default_factory=dict)  # acceptable owner keys
    spared: dict[Key, Spared] = field(default_factory=dict)  # keys of timed effects cancelled in time

    def owe(self, category: str, record: str, recipients: list[str] | None = None) -> None:
        for recipient in recipients if recipients is not None else [""]:
            self.owed.add((category, record, recipient.lower()))


def _changes(scenario: Scenario, applied: Mapping[str, datetime]) -> dict[str, list[Change]]:
    found: dict[str, list[Change]] = {}
    for event in scenario.events:
        if event.id in applied:
            found.setdefault(event.record, []).append((applied[event.id], event.id, event.fields))
    for items in found.values():
        items.sort(key=lambda item: item[0])
    return found


def _state(sli: Sli, changes: list[Change], before: datetime) -> State:
    state: State = {
        "Intervention_Plan__c": None,
        "Client_Status__c": sli.client_status,
        "Referral_Status__c": sli.referral_status,
        "Exception_Approved__c": False,
    }
    for at, _, fields in changes:
        if at < before:
            state.update(fields)
    return state


def _last_change(changes: list[Change], before: datetime, field_name: str | None) -> str:
    """The event that last set ``field_name`` (any field when None) before ``before``."""
    return next(
        (
            eid
            for at, eid, fields in reversed(changes)
            if at < before and (field_name is None or field_name in fields)
        ),
        "?",
    )


def _resolved(state: Mapping[str, object]) -> bool:
    client, referral = state["Client_Status__c"], state["Referral_Status__c"]
    return (
        bool(client or referral) and client in (None, "Green", "Red") and referral in (None, "Green", "Red")
    )


def _sli_people(scenario: Scenario, sli: Sli) -> tuple[list[str], list[str]]:
    """(the seven alerted roles, the three escalated to), as distinct addresses of active users."""
    office = scenario.offices[sli.office]
    alert = [sli.submitter, office.director, office.success_manager]
    if sli.partner:
        partner = scenario.partners[sli.partner]
        owner = scenario.people[partner.owner]
        cc_office = scenario.offices[partner.office]
        alert += [partner.owner, owner.manager or "", cc_office.director, cc_office.region_head]
    overdue = [office.director, office.success_manager, office.region_head]

    def addresses(keys: list[str]) -> list[str]:
        people = [scenario.people[k] for k in keys if k in scenario.people]
        return sorted({p.email for p in people if p.active})

    return addresses(alert), addresses(overdue)


def _not_satisfied(state: State) -> bool:
    return state["Client_Status__c"] in ("Yellow", "Orange") or state["Referral_Status__c"] == "Orange"


def _unresolved(state: State) -> bool:
    return not state["Exception_Approved__c"] and not _resolved(state)


def _sli(scenario: Scenario, sli: Sli, changes: list[Change], timeline: Timeline, out: Expected) -> None:
    seen = timeline.first_after(sli.created)
    if seen is None:
        return
    alerted, escalated = _sli_people(scenario, sli)
    rcsm = frozenset({scenario.offices[sli.office].success_manager})
    out.owe("sli alert email", sli.key, alerted)
    out.owe("sli alert post", sli.key)
    if not NAME_FORMAT.fullmatch(sli.name):
        out.owe("sli name post", sli.key)
    out.owe("sli check-in task", sli.key)
    out.owners[("sli check-in task", sli.key, "")] = rcsm
    if sli.partner:
        out.owe("sli referral task", sli.key)
        out.owners[("sli referral task", sli.key, "")] = frozenset({scenario.partners[sli.partner].owner})

    def decide(
        category: str,
        due: datetime,
        holds: Callable[[State], bool],
        field_name: str | None,
        recipients: list[str] | None = None,
    ) -> None:
        decided = timeline.first_at_or_after(due)
        if decided is None:
            return
        if holds(_state(sli, changes, decided)):
            out.owe(category, sli.key, recipients)
            return
        for recipient in recipients if recipients is not None else [""]:
            out.spared[(category, sli.key, recipient)] = Spared(
                decided, _last_change(changes, decided, field_name)
            )

    decide(
        "sli reminder email",
        sli.created + timedelta(hours=24),
        lambda state: not state["Intervention_Plan__c"],
        "Intervention_Plan__c",
        alerted,
    )
    decide("sli not-satisfied task", sli.created + timedelta(days=14), _not_satisfied, "Client_Status__c")
    if ("sli not-satisfied task", sli.key, "") in out.owed:
        out.owners[("sli not-satisfied task", sli.key, "")] = rcsm
    overdue_at = datetime.combine(sli.incident + timedelta(days=30), time(0), ZONE)
    decide("sli overdue email", overdue_at, _unresolved, None, escalated)
    decide("sli overdue post", overdue_at, _unresolved, None)


def _response(
    scenario: Scenario, response: Response, calls: Mapping[str, datetime], timeline: Timeline, out: Expected
) -> None:
    seen = timeline.first_after(response.created)
    if seen is None or not response.detractor:
        return
    team = lambda name: [o for o in scenario.owners.values() if name in o.teams]  # noqa: E731
    owners = frozenset({response.analyst} if response.analyst else {o.key for o in team(ANALYSTS)})
    out.owe("nps ticket", response.key)
    out.owners[("nps ticket", response.key, "")] = owners
    if response.email:
        out.owe("nps intro email", response.key, [response.email])
        out.owe("nps intro logged", response.key)
    out.owe("nps notify email", response.key, sorted({o.email for o in team(MANAGERS) + team(BPA)} | {LEAD}))
    out.owe("nps call task", response.key)
    out.owners[("nps call task", response.key, "")] = owners
    # The shipped rule counts 48 hours from the response (HubSpot's submission time), decided no earlier
    # than the first step that sees it.
    decided = timeline.first_at_or_after(max(seen, response.created + timedelta(hours=48)))
    if decided is None:
        return
    managers = sorted({o.email for o in team(MANAGERS)})
    call = calls.get(f"{response.key}#call")
    if call is None or call >= decided:
        out.owe("nps escalation email", response.key, managers)
        out.owe("nps second-call task", response.key)
        out.owners[("nps second-call task", response.key, "")] = owners
        return
    for key in [("nps escalation email", response.key, m) for m in managers] + [
        ("nps second-call task", response.key, "")
    ]:
        out.spared[key] = Spared(decided, f"{response.key}#call")


def expected(scenario: Scenario, applied: Mapping[str, datetime], steps: int | None = None) -> Expected:
    """Every effect owed by the end of the last step (or of the first ``steps``), with who may own the
    tasks and tickets."""
    timeline = Timeline(scenario.steps[:steps])
    out = Expected()
    changes = _changes(scenario, applied)
    for sli in scenario.slis:
        _sli(scenario, sli, changes.get(sli.key, []), timeline, out)
    for response in scenario.responses:
        _response(scenario, response, applied, timeline, out)
    return out
