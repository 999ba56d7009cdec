"""reset(), snapshot() and restore()."""

from __future__ import annotations

import json

import pytest

from sandbox.core import Outbox
from sandbox.hubspot import ApiError, HubSpotEmulator


def populate(emulator: HubSpotEmulator, api) -> dict:
    owner = emulator.seed_owner("cs@example.com", "Cee", "Ess", ["Customer Success", "Night shift"])
    contact = emulator.create("contacts", {"email": "pat@example.com"})
    ticket = emulator.create(
        "tickets",
        {"subject": "s", "hs_pipeline_stage": "1", "crm_sync_key": "k", "hubspot_owner_id": owner["id"]},
        [("contacts", contact["id"])],
    )
    api(
        "DELETE",
        f"/crm/v3/objects/tickets/{emulator.create('tickets', {'subject': 'x', 'hs_pipeline_stage': '1'})['id']}",
    )
    api(
        "POST",
        "/marketing/v3/transactional/single-email/send",
        {"emailId": 1, "message": {"to": "p@x.com", "sendId": "s"}},
    )
    return {"owner": owner, "contact": contact, "ticket": ticket}


def test_snapshot_round_trips_through_json(emulator, api, clock):
    seeded = populate(emulator, api)
    state = json.loads(json.dumps(emulator.snapshot()))

    fresh = HubSpotEmulator(Outbox(), clock=clock)
    fresh.restore(state)
    assert fresh.snapshot() == state
    assert fresh.objects("tickets", include_archived=True) == emulator.objects(
        "tickets", include_archived=True
    )
    ticket = fresh.objects("tickets")[0]
    assert ticket["id"] == seeded["ticket"]["id"]
    # the unique index, associations, owners, teams and send ids came back too
    with pytest.raises(ApiError, match="already has that value"):
        fresh.create("tickets", {"subject": "s", "hs_pipeline_stage": "1", "crm_sync_key": "k"})
    assert fresh.seed_owner("cs@example.com", "Cee", "Ess", ["Night shift"])["id"] == seeded["owner"]["id"]
    new = fresh.create("notes", {"hs_timestamp": "2026-03-02T09:00:00Z"})
    assert int(new["id"]) > int(ticket["id"])


def test_reset_keeps_reference_portal_only(emulator, api):
    populate(emulator, api)
    emulator.reset()
    assert emulator.objects("tickets", include_archived=True) == []
    assert api("GET", "/crm/v3/owners").body["results"] == []
    teams = [t["name"] for t in api("GET", "/settings/v3/users/teams").body["results"]]
    assert teams == ["Customer Success", "Customer Success Managers", "BPA"]
    assert len(api("GET", "/crm/v3/pipelines/tickets").body["results"]) == 2
