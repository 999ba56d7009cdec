"""The scenario made real: a served sandbox on 127.0.0.1 whose clock the driver moves, seeded through
``sandbox.seeds``, and the staff's changes made through each CRM's API as they come due."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.app import Sandbox
from sandbox.control import is_control
from sandbox.core import SandboxRequest, SandboxResponse
from sandbox.faults import DropConnection
from sandbox.hubspot.settings import HubSpotSettings
from sandbox.seeds import hubspot as hs_seeds
from sandbox.seeds import salesforce as sf_seeds
from sandbox.serve import channel_env
from sandbox.server import SERVER_FILE, SandboxServer
from sandbox.smtp import SandboxSmtpServer
from tests.chaos.scenario import Event, Response, Scenario, Sli

API = "https://sandbox/services/data/v62.0"


class SimClock:
    """The CRMs' clock: jumps when the driver sets it (never backwards) and ticks with real time between."""

    def __init__(self, start: datetime) -> None:
        self._anchor = (start, time.monotonic())

    def __call__(self) -> datetime:
        base, mark = self._anchor
        return base + timedelta(seconds=time.monotonic() - mark)

    def set(self, moment: datetime) -> datetime:
        """Jump to ``moment`` (or stay, if the clock is already past it); returns the time now."""
        now = max(moment, self())
        self._anchor = (now, time.monotonic())
        return now


@dataclass
class Tripwire:
    """SIGKILLs ``pid`` at its ``at``-th CRM request: before serving it, or after (the write done, its
    answer lost)."""

    pid: int
    at: int
    after: bool
    seen: int = 0
    fired: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def around(
        self, request: SandboxRequest, serve: Callable[[SandboxRequest], SandboxResponse]
    ) -> SandboxResponse:
        with self.lock:
            self.seen += 1
            due = not self.fired and self.seen >= self.at
            self.fired = self.fired or due
        if not due:
            return serve(request)
        if not self.after:
            os.kill(self.pid, signal.SIGKILL)
            return DropConnection()
        response = serve(request)
        os.kill(self.pid, signal.SIGKILL)
        return response


class ChaosSandbox(Sandbox):
    """A sandbox that counts the worker's CRM requests and can kill the worker at one of them."""

    tripwire: Tripwire | None = None
    served = 0

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        if is_control(request.path):
            return super().dispatch(request)
        self.served += 1
        wire = self.tripwire
        return wire.around(request, super().dispatch) if wire is not None else super().dispatch(request)


@dataclass
class World:
    """The served sandbox, the scenario's records by CRM id and the changes applied so far."""

    scenario: Scenario
    clock: SimClock
    box: ChaosSandbox
    server: SandboxServer
    smtp: SandboxSmtpServer | None = None
    users: dict[str, str] = field(default_factory=dict)  # person key -> Salesforce user id
    slis: dict[str, str] = field(default_factory=dict)  # SLI key -> Salesforce id
    owners: dict[str, str] = field(default_factory=dict)  # owner key -> HubSpot owner id
    responses: dict[str, str] = field(default_factory=dict)  # response key -> submission id
    offices: dict[str, str] = field(default_factory=dict)  # office key -> Salesforce id
    partners: dict[str, str] = field(default_factory=dict)  # partner key -> Salesforce account id
    applied: dict[str, datetime] = field(default_factory=dict)  # event id -> when it was made
    skipped: dict[str, str] = field(default_factory=dict)  # event id -> why it could not be made
    _pending: list[tuple[datetime, str, Callable[[], None]]] = field(default_factory=list)

    @classmethod
    def serve(cls, scenario: Scenario, tls_dir: Path) -> World:
        clock = SimClock(scenario.start - timedelta(days=1))
        # Generous limits: the only 429s are the injected ones (the worker still paces itself).
        limits = HubSpotSettings(rate_limit_per_10s=1_000_000, search_rate_per_second=1_000_000)
        box = ChaosSandbox(clock=clock, hubspot_settings=limits)
        server = SandboxServer(box, tls_dir=tls_dir).start()
        smtp = SandboxSmtpServer(box, "127.0.0.1", 0, tls_dir / SERVER_FILE).start()
        world = cls(scenario, clock, box, server, smtp)
        world._seed_reference()
        world._schedule()
        return world

    def env(self) -> dict[str, str]:
        env = self.box.client_env(self.server.url, self.server.ca_bundle)
        return {**env, **channel_env(self.server.url, self.smtp.env())} if self.smtp else env

    def close(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()
        self.server.stop()

    # -- seeding ---------------------------------------------------------------------------------

    def _seed_reference(self) -> None:
        s, sf, hs = self.scenario, self.box.salesforce, self.box.hubspot
        for key, person in sorted(s.people.items(), key=lambda kv: kv[1].manager is not None):
            manager = self.users.get(person.manager) if person.manager else None
            self.users[key] = sf_seeds.insert_user(
                sf, person.first, person.last, person.email, manager=manager, IsActive=person.active
            )
        regions = {
            o.region_head: sf_seeds.insert_region(sf, f"Region of {o.key}", self.users[o.region_head])
            for o in s.offices.values()
        }
        self.offices = {
            key: sf_seeds.insert_office(
                sf, key.title(), regions[o.region_head], self.users[o.director], self.users[o.success_manager]
            )
            for key, o in s.offices.items()
        }
        self.partners = {
            key: sf_seeds.insert_account(
                sf, f"Partner {key[-1]}", self.users[p.owner], self.offices[p.office]
            )
            for key, p in s.partners.items()
        }
        for key, owner in s.owners.items():
            self.owners[key] = str(
                hs.seed_owner(owner.email, owner.first, owner.last, list(owner.teams))["id"]
            )

    def _schedule(self) -> None:
        for sli in self.scenario.slis:
            self._pending.append((sli.created, sli.key, lambda sli=sli: self._create_sli(sli)))
        for response in self.scenario.responses:
            self._pending.append(
                (response.created, response.key, lambda r=response: self._create_response(r))
            )
        for event in self.scenario.events:
            self._pending.append((event.at, event.id, lambda e=event: self._apply(e)))
        self._pending.sort(key=lambda item: (item[0], item[1]))

    def _create_sli(self, sli: Sli) -> None:
        sf = self.box.salesforce
        client = sf_seeds.insert_account(sf, sli.client)
        fields: dict[str, Any] = {
            "Name": sli.name,
            "Client__c": client,
            "Office__c": self.offices[sli.office],
            "Incident_Type__c": sli.incident_type,
            "Incident_Date__c": sli.incident.isoformat(),
            "Client_Status__c": sli.client_status,
        }
        if sli.partner:
            fields |= {
                "Referral_Account__c": self.partners[sli.partner],
                "Referral_Status__c": sli.referral_status,
            }
        self.slis[sli.key] = sf_seeds.insert_intervention(
            sf, sli.created, self.users[sli.submitter], **fields
        )

    def _create_response(self, response: Response) -> None:
        hs = self.box.hubspot
        company = None
        if response.has_company:
            analyst = self.owners[response.analyst] if response.analyst else None
            company = hs_seeds.create_company(hs, f"Company of {response.key}", analyst)
        props = {"firstname": f"Pat{response.key[-3:]}", "lastname": "Doe"}
        if response.email:
            props["email"] = response.email
        contact = hs_seeds.create_contact(hs, props, company)
        stamp = self.clock().isoformat()
        self.responses[response.key] = hs_seeds.create_submission(
            hs,
            contact,
            {
                "hs_value": response.value,
                "hs_survey_type": response.survey,
                "hs_content": "Slow answers",
                "hs_lastmodifieddate": stamp,
                "hs_submission_timestamp": stamp,
            },
        )

    def _apply(self, event: Event) -> None:
        if event.call:
            tickets = self.tickets_of().get(self.responses.get(event.record, ""), [])
            if not tickets:
                self.skipped[event.id] = "no crm-sync ticket to log the call on"
                return
            self.box.hubspot.create(
                "calls",
                {"hs_timestamp": self.clock().isoformat(), "hs_call_title": "Called the customer"},
                [("tickets", tickets[0])],
            )
        else:
            self._patch_sli(self.slis[event.record], event.fields)
        self.applied[event.id] = self.clock()

    def _patch_sli(self, sli_id: str, fields: dict[str, Any]) -> None:
        sf = self.box.salesforce
        request = SandboxRequest.from_url(
            "PATCH",
            f"{API}/sobjects/{sf_seeds.SLI}/{sli_id}",
            {"Authorization": f"Bearer {sf.issue_token()}", "Content-Type": "application/json"},
            json.dumps(fields),
        )
        answer = sf.handle(request)
        assert answer.status == 204, answer.body

    # -- time ------------------------------------------------------------------------------------

    def advance(self, until: datetime) -> None:
        """Create the records and make the changes due before ``until``, each at its own time, then set
        the clock to ``until``."""
        while self._pending and self._pending[0][0] < until:
            moment, _, make = self._pending.pop(0)
            self.clock.set(moment)
            make()
        self.clock.set(until)

    # -- reading the portal ----------------------------------------------------------------------

    def associations(self) -> dict[tuple[str, str], dict[str, list[str]]]:
        """``{(type, id): {other type: [ids]}}`` for every HubSpot association, both ways."""
        edges: dict[tuple[str, str], dict[str, list[str]]] = {}
        for a_type, a_id, b_type, b_id, _ in self.box.hubspot.snapshot()["portal"]["associations"]:
            edges.setdefault((a_type, str(a_id)), {}).setdefault(b_type, []).append(str(b_id))
            edges.setdefault((b_type, str(b_id)), {}).setdefault(a_type, []).append(str(a_id))
        return edges

    def tickets_of(self) -> dict[str, list[str]]:
        """``{submission id: [crm-sync ticket ids]}``."""
        edges = self.associations()
        ours = {t["id"] for t in self.box.hubspot.objects("tickets") if t["properties"].get("crm_sync_key")}
        found: dict[str, list[str]] = {}
        for ticket in sorted(ours, key=int):
            for submission in edges.get(("tickets", ticket), {}).get("feedback_submissions", []):
                found.setdefault(submission, []).append(ticket)
        return found
