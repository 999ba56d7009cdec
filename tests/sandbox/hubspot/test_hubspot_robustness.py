"""Malformed bodies get HubSpot-shaped 4xx answers, never an exception out of ``handle()``."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.core import Outbox, SandboxRequest
from sandbox.hubspot import HubSpotEmulator, HubSpotSettings

EMULATOR = HubSpotEmulator(
    Outbox(), settings=HubSpotSettings(rate_limit_per_10s=10**9, search_rate_per_second=10**9)
)
CONTACT_ID = EMULATOR.create("contacts", {"email": "pat@example.com"})["id"]
HEADERS = {"Authorization": f"Bearer {EMULATOR.settings.access_token}"}
PATHS = [
    "/crm/v3/objects/tickets",
    "/crm/v3/objects/tickets/search",
    *(
        f"/crm/v3/objects/tickets/batch/{action}"
        for action in ("create", "read", "update", "upsert", "archive")
    ),
    *(
        f"/crm/v4/associations/tickets/contacts/batch/{a}"
        for a in ("create", "read", "archive", "associate/default")
    ),
    "/marketing/v3/transactional/single-email/send",
]
KEYS = st.sampled_from(
    [
        "inputs",
        "properties",
        "associations",
        "filterGroups",
        "filters",
        "propertyName",
        "operator",
        "value",
        "values",
        "highValue",
        "sorts",
        "limit",
        "after",
        "id",
        "idProperty",
        "to",
        "from",
        "types",
        "associationCategory",
        "associationTypeId",
        "emailId",
        "message",
        "customProperties",
        "contactProperties",
        "objectWriteTraceId",
        "sendId",
        "cc",
        "subject",
        "hs_pipeline_stage",
        "crm_sync_key",
    ]
)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=4)
    | st.sampled_from(
        ["EQ", "BETWEEN", "IN", "subject", "nps_score", "associations.contact", "HUBSPOT_DEFINED", 16]
    )
    | st.just(CONTACT_ID)
)
BODIES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(PATHS), BODIES)
def test_malformed_bodies_are_client_errors(path, body):
    response = EMULATOR.handle(SandboxRequest.from_url("POST", path, HEADERS, json.dumps(body)))
    assert response.status < 500
    if response.status >= 400:
        assert response.body["status"] == "error" and response.body["category"]
