"""``POST /_sandbox/hubspot/objects/{type}`` and ``/_sandbox/hubspot/owners`` over the served sandbox:
seeding what HubSpot's public API cannot write, from any language."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from sandbox.testing import SandboxHandle

NPS_TO_CONTACT = 98  # HUBSPOT_DEFINED feedback submission -> contact


def association(to_id: str, type_id: int) -> dict[str, Any]:
    return {"to": {"id": to_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


@pytest.fixture
def http(sandbox_server: SandboxHandle) -> Any:
    with sandbox_server.session() as session:
        yield session


def seed(http: requests.Session, server: SandboxHandle, object_type: str, body: Any) -> requests.Response:
    return http.post(f"{server.url}/_sandbox/hubspot/objects/{object_type}", json=body, timeout=10)


def api(http: requests.Session, server: SandboxHandle, method: str, path: str, **kwargs: Any) -> requests.Response:
    token = server.sandbox.credentials().hubspot_access_token
    headers = {"Authorization": f"Bearer {token}"}
    return http.request(method, f"{server.url}/{path}", headers=headers, timeout=10, **kwargs)


@pytest.mark.parametrize("object_type", ["feedback_submissions", "0-19"])
def test_seeds_a_read_only_feedback_submission_the_api_then_shows(
    sandbox_server: SandboxHandle, http: requests.Session, object_type: str
) -> None:
    contact = seed(http, sandbox_server, "contacts", {"properties": {"email": "nps@seed.test"}})
    assert contact.status_code == 201, contact.text
    contact_id = contact.json()["id"]
    body = {
        "properties": {"hs_survey_type": "NPS", "hs_value": "3", "hs_contact_id": contact_id},
        "associations": [association(contact_id, NPS_TO_CONTACT)],
    }

    answer = seed(http, sandbox_server, object_type, body)

    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["properties"]["hs_value"] == "3" and created["archived"] is False
    shown = api(
        http,
        sandbox_server,
        "GET",
        f"crm/v3/objects/feedback_submissions/{created['id']}",
        params={"properties": "hs_value", "associations": "contacts"},
    )
    assert shown.status_code == 200, shown.text
    assert shown.json()["properties"]["hs_value"] == "3"
    assert [r["id"] for r in shown.json()["associations"]["contacts"]["results"]] == [contact_id]
    # The public API still refuses the same write.
    assert api(http, sandbox_server, "POST", "crm/v3/objects/feedback_submissions", json=body).status_code == 400


def test_seeding_is_neither_faulted_nor_rate_limited(
    sandbox_server: SandboxHandle, http: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    fault = {"path_regex": "objects", "status": 503, "times": 1}
    assert http.post(f"{sandbox_server.url}/_sandbox/faults", json=fault, timeout=10).status_code == 201
    monkeypatch.setattr(sandbox_server.sandbox.hubspot.settings, "rate_limit_per_10s", 1)
    assert api(http, sandbox_server, "GET", "crm/v3/owners").status_code == 200  # spends the burst limit
    assert api(http, sandbox_server, "GET", "crm/v3/owners").status_code == 429

    for i in range(3):
        answer = seed(http, sandbox_server, "contacts", {"properties": {"email": f"c{i}@seed.test"}})
        assert answer.status_code == 201, answer.text

    assert len(sandbox_server.sandbox.hubspot.objects("contacts")) == 3
    assert [f["times"] for f in sandbox_server.sandbox.faults()] == [1]  # the fault is still unused


@pytest.mark.parametrize(
    ("object_type", "body", "status", "category"),
    [
        ("deals_of_nowhere", {"properties": {}}, 400, "VALIDATION_ERROR"),
        ("contacts", {"properties": {"no_such_property": "x"}}, 400, "VALIDATION_ERROR"),
        ("tickets", {"properties": {"subject": "s"}, "associations": [association("999", 16)]}, 400, "VALIDATION_ERROR"),
    ],
)
def test_invalid_records_are_refused_in_hubspots_error_shape(
    sandbox_server: SandboxHandle, http: requests.Session, object_type: str, body: Any, status: int, category: str
) -> None:
    answer = seed(http, sandbox_server, object_type, body)
    assert answer.status_code == status, answer.text
    assert answer.json()["status"] == "error" and answer.json()["category"] == category
    assert sandbox_server.sandbox.hubspot.objects("tickets") == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"properties": ["x"]}', b'{"associations": ["contacts", "1"]}', b'{"associations": {}}'],
)
def test_malformed_bodies_are_400_with_a_reason(
    sandbox_server: SandboxHandle, http: requests.Session, body: bytes
) -> None:
    answer = http.post(f"{sandbox_server.url}/_sandbox/hubspot/objects/contacts", data=body, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_request" and answer.json()["message"]


def test_only_post_and_one_object_type_per_path(sandbox_server: SandboxHandle, http: requests.Session) -> None:
    assert http.get(f"{sandbox_server.url}/_sandbox/hubspot/objects/contacts", timeout=10).status_code == 405
    assert http.post(f"{sandbox_server.url}/_sandbox/hubspot/objects/contacts/1", json={}, timeout=10).status_code == 404


def test_owner_seeding_over_http_is_what_crm_v3_owners_shows(
    sandbox_server: SandboxHandle, http: requests.Session
) -> None:
    spec = {"email": "ana@seed.test", "firstName": "Ana", "lastName": "Lyst", "teams": ["Customer Success", "BPA"]}
    answer = http.post(f"{sandbox_server.url}/_sandbox/hubspot/owners", json=spec, timeout=10)
    assert answer.status_code == 201, answer.text
    listed = api(http, sandbox_server, "GET", "crm/v3/owners", params={"email": "ana@seed.test"}).json()["results"]
    assert listed == [answer.json()]
    assert [(t["name"], t["primary"]) for t in listed[0]["teams"]] == [("Customer Success", True), ("BPA", False)]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("hubspot/send-results", {"results": {"pat@example.com": "bounced"}}),
        ("hubspot/send-results", {"results": {"pat@example.com": 3}}),
        ("hubspot/send-results", {"pending": "soon"}),
        ("hubspot/send-results", {"unknown": 1}),
        ("hubspot/unique-clash", {"message": "{nope} is taken", "code": "X"}),
        ("hubspot/unique-clash", {"message": "taken"}),
        ("hubspot/owners", {"email": "q@example.com", "type": "ROBOT"}),
    ],
)
def test_knobs_refuse_malformed_bodies_with_400(
    sandbox_server: SandboxHandle, http: requests.Session, path: str, body: Any
) -> None:
    answer = http.post(f"{sandbox_server.url}/_sandbox/{path}", json=body, timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "bad_request"


def test_knobs_are_undone_by_reset(sandbox_server: SandboxHandle, http: requests.Session) -> None:
    url = sandbox_server.url
    http.post(f"{url}/_sandbox/hubspot/send-results", json={"results": {"a@b.example": "BLOCKED_ADDRESS"}}, timeout=10)
    http.post(f"{url}/_sandbox/hubspot/unique-clash", json={"message": "{id} {property}", "code": "X"}, timeout=10)
    http.post(f"{url}/_sandbox/reset", timeout=10)
    answer = http.post(f"{url}/_sandbox/hubspot/send-results", json={}, timeout=10).json()
    assert answer == {"results": {}, "pending_seconds": 0.0, "processing_seconds": 0.0}
    assert sandbox_server.sandbox.hubspot._state.store.clash_wording[1] == "DUPLICATE_VALUE"
