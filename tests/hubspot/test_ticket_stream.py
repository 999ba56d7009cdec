"""A second HubSpot stream from configuration alone: urgent tickets, each with its contact's email, its
owner and the calls logged on it, through the engine and the served sandbox."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from rules.model import RuleSet
from sandbox.testing import SandboxHandle
from sync.connectors.registry import load_config
from sync.engine import Engine
from sync.store.database import create_store_engine
from sync.store.transaction import Store
from tests.hubspot.conftest import T0
from tests.hubspot.test_delivery import TASK_TO_CONTACT, TASK_TO_TICKET, associated
from tests.support import Clock

CONFIG = """
    timezone: UTC
    templates: templates
    hubspot:
      base_url: ${HUBSPOT_BASE_URL}
      access_token: ${HUBSPOT_ACCESS_TOKEN}
      ca_bundle: ${CRM_SYNC_CA_BUNDLE:-}
      streams:
        urgent_tickets:
          object: tickets
          where: hs_ticket_priority = HIGH
          relations:
            contact: {object: contacts}
            owner: {owner: hubspot_owner_id}
            calls_logged: {count: calls}
          fields: [subject, hs_ticket_priority, contact.email, owner.id, owner.email, calls_logged]
    roles:
      ticket_owner: {source: hubspot.urgent_tickets, id: owner.id, email: owner.email}
    rules:
      - id: urgent-ticket
        source: hubspot.urgent_tickets
        actions:
          - notify:
              to: [ticket_owner]
              subject: "Urgent: {{ record.subject }}"
              template: urgent_ticket
          - create_task:
              type: CALL
              owner: ticket_owner
              subject: "Call {{ record.contact.email or 'the customer' }} about {{ record.subject }}"
              due: 4h
      - id: urgent-ticket-no-call-8h
        source: hubspot.urgent_tickets
        after: 8h
        unless: "record.calls_logged > 0"
        actions:
          - notify:
              to: [ticket_owner]
              subject: "Still no call: {{ record.subject }}"
              template: urgent_ticket
"""


@pytest.fixture
def ruleset(sandbox_server: SandboxHandle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RuleSet:
    for name, value in sandbox_server.client_env().items():
        monkeypatch.setenv(name, value)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "urgent_ticket.txt").write_text(
        "{{ record.subject }} for {{ record.contact.email }}"
    )
    (tmp_path / "config.yaml").write_text(textwrap.dedent(CONFIG))
    return load_config(tmp_path / "config.yaml")  # the compiler's checks and the adapter's


def test_a_ticket_stream_needs_only_configuration(
    ruleset: RuleSet, make_connector: Any, hubspot: Any, sandbox_server: SandboxHandle, tmp_path: Path
) -> None:
    owner = hubspot.seed_owner("owner@example.com", "Olive", "Owner", ["Support"])
    contact = hubspot.create("contacts", {"email": "pat@client.example", "firstname": "Pat"})["id"]

    def ticket(subject: str, priority: str, contacts: list[tuple[str, str]]) -> str:
        props = {
            "subject": subject,
            "hs_pipeline_stage": "1",
            "hs_ticket_priority": priority,
            "hubspot_owner_id": owner["id"],
        }
        return str(hubspot.create("tickets", props, contacts)["id"])

    called = ticket("Outage", "HIGH", [("contacts", contact)])
    silent = ticket("Login loop", "HIGH", [])
    ticket("Typo on invoice", "LOW", [("contacts", contact)])  # not urgent: the stream's where skips it
    store = Store(create_store_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    store.migrate()
    clock = Clock(T0)
    connector = make_connector(settings=ruleset.settings.connection("hubspot"))
    engine = Engine(ruleset, store, {"hubspot": connector}, rules_clock=clock, wall_clock=clock)

    assert engine.run_cycle().ok

    with store.transaction() as tx:
        record = tx.records.get(f"hubspot.urgent_tickets:{called}").snapshot  # type: ignore[union-attr]
    assert {k: v for k, v in record.items() if k != "hs_lastmodifieddate"} == {
        "id": called,
        "subject": "Outage",
        "hs_ticket_priority": "HIGH",
        "contact": {"id": contact, "email": "pat@client.example"},
        "owner": {"id": owner["id"], "email": "owner@example.com", "firstName": "Olive", "lastName": "Owner"},
        "calls_logged": 0,
    }
    sent = [e for e in sandbox_server.sandbox.emails() if e["source"] == "hubspot"]
    assert sorted((e["to"], e["subject"]) for e in sent) == [
        (["owner@example.com"], "Urgent: Login loop"),
        (["owner@example.com"], "Urgent: Outage"),
    ]
    tasks = {t["properties"]["hs_task_subject"]: t for t in hubspot.objects("tasks")}
    assert set(tasks) == {"Call pat@client.example about Outage", "Call the customer about Login loop"}
    task = tasks["Call pat@client.example about Outage"]
    assert task["properties"]["hubspot_owner_id"] == owner["id"]
    assert TASK_TO_TICKET in associated(hubspot, "tasks", task["id"], "tickets")[called]
    assert TASK_TO_CONTACT in associated(hubspot, "tasks", task["id"], "contacts")[contact]
    assert list(
        associated(hubspot, "tasks", tasks["Call the customer about Login loop"]["id"], "tickets")
    ) == [silent]

    hubspot.create("calls", {"hs_timestamp": "2026-03-02T10:00:00Z"}, [("tickets", called)])
    clock.advance(hours=9)
    assert engine.run_cycle().ok

    escalations = [e["subject"] for e in sandbox_server.sandbox.emails() if e["subject"].startswith("Still")]
    assert escalations == ["Still no call: Login loop"]  # the logged call re-polled "Outage" in time
    with store.transaction() as tx:
        record = tx.records.get(f"hubspot.urgent_tickets:{called}").snapshot  # type: ignore[union-attr]
    assert record["calls_logged"] == 1
