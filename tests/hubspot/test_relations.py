"""Declared relations: their validation, what each level reads, and counts re-polled through a chain."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from rules.model import Stream
from sandbox.testing import SandboxHandle
from sync.connectors.hubspot import HubSpotConnector
from sync.connectors.hubspot.context import Anchors
from sync.connectors.hubspot.settings import HubSpotStreamSettings
from sync.connectors.hubspot.shape import RecordShape
from tests.hubspot.conftest import Portal, all_records


@pytest.mark.parametrize("first", ["rules.settings", "rules.model", "sync.connectors.hubspot.settings"])
def test_the_settings_import_each_other_whichever_loads_first(first: str) -> None:
    code = f"import {first}; from rules.compiler import load_rules; from sync.connectors.hubspot import SPEC"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def settings(relations: dict[str, Any], fields: list[str]) -> HubSpotStreamSettings:
    return HubSpotStreamSettings.model_validate(
        {"object": "tickets", "fields": fields, "relations": relations}
    )


@pytest.mark.parametrize(
    ("relations", "problem"),
    [
        ({"contact": {"object": "contacts", "count": "calls"}}, "exactly one of: object"),
        ({"owner": {"owner": "hubspot_owner_id", "via": "x"}}, "an owner relation does not take via"),
        (
            {"company": {"object": "companies", "from": "contakt"}},
            "company: contakt is not an object relation",
        ),
        ({"owner": {"owner": "owner"}, "owner.calls": {"count": "calls"}}, "owner is not an object relation"),
        ({"analyst": {"owner": "company.cs_business_analyst"}}, "company is not an object relation"),
        (
            {
                "contact": {"object": "contacts"},
                "contact.company": {"object": "companies", "from": "contact"},
            },
            "a nested relation is reached from its parent contact; drop from",
        ),
        (
            {"a": {"object": "contacts", "from": "b"}, "b": {"object": "contacts", "from": "a"}},
            "form a cycle (a -> b -> a)",
        ),
        ({"contact-person": {"object": "contacts"}}, "relation name 'contact-person'"),
    ],
)
def test_relations_that_cannot_be_resolved_are_refused(relations: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError) as raised:
        settings(relations, ["subject"])
    assert problem in str(raised.value)


def test_each_level_reads_what_its_fields_and_relations_need(stream: Stream) -> None:
    shape = RecordShape.of(stream)

    assert shape.properties[:1] == ("hs_lastmodifieddate",) and "hs_contact_id" in shape.properties
    assert {name: (link.source, link.properties) for name, link in shape.links.items()} == {
        "contact": (None, ("email", "firstname", "lastname")),
        "company": ("contact", ("name", "cs_business_analyst")),
        "ticket": (None, ("hs_pipeline_stage", "closed_date", "crm_sync_key", "hubspot_owner_id")),
    }
    assert [(o.name, o.source, o.property) for o in shape.owners] == [
        ("analyst", "company", "cs_business_analyst"),
        ("ticket.owner", "ticket", "hubspot_owner_id"),
    ]
    assert [(c.name, c.source, c.object) for c in shape.counts] == [
        ("ticket.calls_logged", "ticket", "calls")
    ]
    # Delivery reaches the same contact, company and ticket, reading only what that takes.
    assert isinstance(stream.settings, HubSpotStreamSettings)
    anchors = Anchors.of(stream.settings)
    assert anchors.links == {"contacts": "contact", "companies": "company", "tickets": "ticket"}
    assert {name: link.properties for name, link in anchors.shape.links.items()} == {
        "contact": (),
        "company": (),
        "ticket": ("crm_sync_key",),
    }
    assert anchors.shape.owners == () and anchors.shape.counts == ()


def test_unused_relations_are_not_resolved(stream: Stream) -> None:
    fields = ("id", "hs_value", "contact.email")

    shape = RecordShape.of(dataclasses.replace(stream, fields=fields))

    assert list(shape.links) == ["contact"] and shape.owners == () and shape.counts == ()


def test_a_count_reached_through_a_chain_re_polls_its_records(
    connector: HubSpotConnector, portal: Portal, stream: Stream, hubspot: Any
) -> None:
    configured = settings(
        {
            "contact": {"object": "contacts"},
            "company": {"object": "companies", "from": "contact", "primary": True},
            "company.notes": {"count": "notes"},
        },
        ["subject", "company.name", "company.notes"],
    )
    tickets = dataclasses.replace(
        stream, object="tickets", where=None, settings=configured, fields=("id", *configured.fields)
    )
    with_company, without = portal.customer(), portal.customer(company=False)
    made = [
        hubspot.create("tickets", {"subject": s, "hs_pipeline_stage": "1"}, [("contacts", c)])["id"]
        for s, c in (("Noisy fan", with_company), ("Lost parcel", without))
    ]
    company = next(iter(hubspot._state.associations.targets(("contacts", with_company), "companies")))

    pages = list(connector.poll(tickets, None))
    first = {r["id"]: r for r in all_records(pages)}

    assert first[made[0]]["company"] == {"id": company, "name": first[made[0]]["company"]["name"], "notes": 0}
    assert first[made[1]]["company"] is None
    hubspot.create("notes", {"hs_timestamp": "2026-03-02T10:00:00Z"}, [("companies", company)])
    # The tickets are unchanged (and not re-read: the cursor says so); the note must re-emit one.
    cursor = {**pages[-1].cursor, "modified": "2030-01-01T00:00:00.000Z", "polled": None}
    [again] = all_records(connector.poll(tickets, cursor))
    assert again["id"] == made[0] and again["company"]["notes"] == 1


def test_only_people_are_team_members_and_owners_are_read_100_a_page(
    connector: HubSpotConnector, hubspot: Any, sandbox_server: SandboxHandle
) -> None:
    """A help desk queue can be in a team: it is no one to email or to take a round-robin turn."""
    hubspot.seed_owner("queue@example.com", "Support", "Queue", ["Customer Success"], owner_type="QUEUE")
    for n in range(120):
        hubspot.seed_owner(f"ana{n}@example.com", "Ana", str(n), ["Customer Success"])

    members = connector.teams()["Customer Success"]

    assert len(members) == 120 and "queue@example.com" not in {m["email"] for m in members}
    owner_reads = [r for r in sandbox_server.sandbox.requests() if r["path"].rstrip("/") == "/crm/v3/owners"]
    assert len(owner_reads) == 2  # 121 owners at 100 a page
