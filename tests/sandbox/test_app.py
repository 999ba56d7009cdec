"""Sandbox.dispatch: routing, faults, control endpoints, request log, reset, persistence."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.app import Sandbox
from sandbox.core import SandboxRequest, SandboxResponse
from sandbox.faults import is_drop
from sandbox.testing import emulators_available

FIXED = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def call(box: Sandbox, method: str, path: str, body: Any = None) -> SandboxResponse:
    data = json.dumps(body).encode() if body is not None else None
    return box.dispatch(SandboxRequest.from_url(method, "https://sandbox.test" + path, {"Host": "h"}, data))


def test_routes_to_the_emulator_that_handles_the_path(fake_sandbox: Sandbox) -> None:
    sf = call(fake_sandbox, "GET", "/services/data/v62.0/echo?q=1")
    hs = call(fake_sandbox, "GET", "/crm/v3/objects/contacts")
    assert sf.status == 200 and sf.headers["X-Fake"] == "salesforce"
    assert sf.body["query"] == {"q": ["1"]}
    assert hs.headers["X-Fake"] == "hubspot"


def test_unknown_path_is_404_json(fake_sandbox: Sandbox) -> None:
    response = call(fake_sandbox, "GET", "/nowhere")
    assert response.status == 404
    assert response.body["error"] == "not_found"
    assert call(fake_sandbox, "GET", "/_sandbox/nope").status == 404
    assert call(fake_sandbox, "PUT", "/_sandbox/emails").status == 405


def test_health(fake_sandbox: Sandbox) -> None:
    response = call(fake_sandbox, "GET", "/_sandbox/health")
    assert response.status == 200 and response.body["status"] == "ok"


def test_fault_answers_next_n_matching_requests(fake_sandbox: Sandbox) -> None:
    created = call(
        fake_sandbox,
        "POST",
        "/_sandbox/faults",
        {
            "crm": "hubspot",
            "method": "get",
            "path_regex": r"/contacts$",
            "status": 429,
            "times": 2,
            "headers": {"Retry-After": "1"},
        },
    )
    assert created.status == 201 and created.body["fault"]["times"] == 2
    assert call(fake_sandbox, "GET", "/crm/v3/objects/companies").status == 200  # regex does not match
    assert call(fake_sandbox, "POST", "/crm/v3/objects/contacts").status == 405  # method does not match
    assert call(fake_sandbox, "GET", "/services/x/contacts").status == 200  # crm does not match
    first = call(fake_sandbox, "GET", "/crm/v3/objects/contacts")
    assert first.status == 429 and first.headers["Retry-After"] == "1"
    assert first.body["category"] == "SANDBOX_FAULT"  # HubSpot-shaped default body
    assert call(fake_sandbox, "GET", "/_sandbox/faults").body["faults"][0]["times"] == 1
    assert call(fake_sandbox, "GET", "/crm/v3/objects/contacts").status == 429
    assert call(fake_sandbox, "GET", "/crm/v3/objects/contacts").status == 200
    assert call(fake_sandbox, "GET", "/_sandbox/faults").body == {"faults": []}


def test_fault_without_filters_matches_any_crm_and_custom_body(fake_sandbox: Sandbox) -> None:
    fake_sandbox.add_fault({"status": 503, "body": "down"})
    response = call(fake_sandbox, "GET", "/services/data")
    assert response.status == 503 and response.body == b"down"
    assert response.headers["Content-Type"].startswith("text/plain")
    fake_sandbox.add_fault({"status": 500, "crm": "salesforce"})
    assert call(fake_sandbox, "GET", "/services/data").body[0]["errorCode"] == "SANDBOX_FAULT"


def test_drop_fault(fake_sandbox: Sandbox) -> None:
    call(fake_sandbox, "POST", "/_sandbox/faults", {"drop": True, "path_regex": "^/services/"})
    assert is_drop(call(fake_sandbox, "GET", "/services/data"))
    assert not is_drop(call(fake_sandbox, "GET", "/services/data"))


@pytest.mark.parametrize(
    "spec",
    [
        {"status": 99},
        {"status": 500, "crm": "zoho"},
        {"status": 500, "times": 0},
        {"status": 500, "path_regex": "("},
        {"status": "500"},
        [],
    ],
)
def test_bad_fault_is_400(fake_sandbox: Sandbox, spec: Any) -> None:
    response = call(fake_sandbox, "POST", "/_sandbox/faults", spec)
    assert response.status == 400 and response.body["message"]


def test_delete_faults_clears(fake_sandbox: Sandbox) -> None:
    fake_sandbox.add_fault({"status": 500, "times": 5})
    assert call(fake_sandbox, "DELETE", "/_sandbox/faults").body == {"cleared": 1}
    assert call(fake_sandbox, "GET", "/services/data").status == 200


def test_request_log_lists_api_requests_in_order(fake_sandbox_factory: Callable[..., Sandbox]) -> None:
    box = fake_sandbox_factory(clock=lambda: FIXED)
    box.add_fault({"status": 500, "path_regex": "boom"})
    call(box, "GET", "/services/a")
    call(box, "POST", "/crm/v3/objects/contacts/records", {"a": 1})
    call(box, "GET", "/services/boom")
    call(box, "GET", "/elsewhere")
    call(box, "GET", "/_sandbox/health")
    log = call(box, "GET", "/_sandbox/requests").body["requests"]
    assert log == [
        {"crm": "salesforce", "method": "GET", "path": "/services/a", "status": 200, "at": FIXED.isoformat()},
        {
            "crm": "hubspot",
            "method": "POST",
            "path": "/crm/v3/objects/contacts/records",
            "status": 201,
            "at": FIXED.isoformat(),
        },
        {
            "crm": "salesforce",
            "method": "GET",
            "path": "/services/boom",
            "status": 500,
            "at": FIXED.isoformat(),
        },
        {"crm": None, "method": "GET", "path": "/elsewhere", "status": 404, "at": FIXED.isoformat()},
    ]


def test_emails_endpoint(fake_sandbox: Sandbox) -> None:
    call(fake_sandbox, "POST", "/services/email", {"to": ["a@example.com"], "subject": "Hi"})
    emails = call(fake_sandbox, "GET", "/_sandbox/emails").body["emails"]
    assert len(emails) == 1
    assert set(emails[0]) == {"source", "to", "cc", "subject", "body", "related_id", "sent_at"}
    assert emails[0]["to"] == ["a@example.com"] and emails[0]["source"] == "salesforce"


def test_hubspot_owner_seeding(fake_sandbox: Sandbox) -> None:
    body = {"email": "o@example.com", "firstName": "O", "lastName": "W", "teams": ["Support"]}
    response = call(fake_sandbox, "POST", "/_sandbox/hubspot/owners", body)
    assert response.status == 201
    assert response.body["email"] == "o@example.com" and response.body["teams"][0]["name"] == "Support"
    assert call(fake_sandbox, "POST", "/_sandbox/hubspot/owners", {"firstName": "x"}).status == 400
    assert call(fake_sandbox, "POST", "/_sandbox/hubspot/owners", {"email": "e", "teams": "x"}).status == 400


def test_reset_clears_everything(fake_sandbox: Sandbox) -> None:
    call(fake_sandbox, "POST", "/services/x/records", {"Name": "A"})
    call(fake_sandbox, "POST", "/services/email", {"to": ["a@example.com"], "subject": "Hi"})
    fake_sandbox.add_fault({"status": 500, "times": 3, "path_regex": "nomatch"})
    assert call(fake_sandbox, "POST", "/_sandbox/reset").status == 200
    assert fake_sandbox.salesforce.store == {} and fake_sandbox.hubspot.resets == 1
    assert fake_sandbox.emails() == [] and fake_sandbox.faults() == [] and fake_sandbox.requests() == []


def test_latency_applies_to_api_requests_only(fake_sandbox_factory: Callable[..., Sandbox]) -> None:
    box = fake_sandbox_factory(latency_ms=60)
    started = time.monotonic()
    call(box, "GET", "/_sandbox/health")
    assert time.monotonic() - started < 0.05
    started = time.monotonic()
    call(box, "GET", "/services/x")
    assert time.monotonic() - started >= 0.055


def test_emulator_exception_is_500(fake_sandbox: Sandbox) -> None:
    def boom(request: SandboxRequest) -> SandboxResponse:
        raise RuntimeError("bug")

    fake_sandbox.salesforce.handle = boom
    response = call(fake_sandbox, "GET", "/services/x")
    assert response.status == 500 and "bug" in response.body["message"]


def test_persistence_round_trip(fake_sandbox_factory: Callable[..., Sandbox], tmp_path: Path) -> None:
    box = fake_sandbox_factory(state_dir=tmp_path)
    created = call(box, "POST", "/services/x/records", {"Name": "Acme"})
    call(box, "POST", "/crm/email", {"to": ["b@example.com"], "subject": "S"})
    state_file = tmp_path / "state.json"
    assert state_file.exists()  # saved right after a mutating request (no debounce)
    box.close()
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temp files left behind

    again = fake_sandbox_factory(state_dir=tmp_path)
    assert call(again, "GET", f"/services/x/records/{created.body['id']}").body == {"Name": "Acme"}
    assert again.emails()[0]["to"] == ["b@example.com"]
    assert [r["path"] for r in again.requests()][:2] == ["/services/x/records", "/crm/email"]


def test_debounced_save_and_flush_on_close(
    fake_sandbox_factory: Callable[..., Sandbox], tmp_path: Path
) -> None:
    box = fake_sandbox_factory(state_dir=tmp_path, save_debounce_s=0.05)
    call(box, "POST", "/services/x/records", {"Name": "A"})
    assert not (tmp_path / "state.json").exists()
    deadline = time.monotonic() + 2
    while not (tmp_path / "state.json").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (tmp_path / "state.json").exists()
    call(box, "GET", "/services/y")  # not mutating: saved on close
    box.close()
    saved = json.loads((tmp_path / "state.json").read_text())
    assert [r["path"] for r in saved["requests"]] == ["/services/x/records", "/services/y"]


def test_corrupt_state_is_a_clear_error(fake_sandbox_factory: Callable[..., Sandbox], tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(RuntimeError, match="cannot load sandbox state"):
        fake_sandbox_factory(state_dir=tmp_path)


def test_concurrent_dispatch_is_consistent(fake_sandbox: Sandbox) -> None:
    fake_sandbox.add_fault({"status": 500, "times": 50, "path_regex": "^/crm/"})

    def worker() -> None:
        for _ in range(25):
            call(fake_sandbox, "GET", "/crm/x")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = [r["status"] for r in fake_sandbox.requests()]
    assert len(statuses) == 200 and statuses.count(500) == 50


def test_client_env_order_and_values(fake_sandbox: Sandbox, tmp_path: Path) -> None:
    env = fake_sandbox.client_env("https://127.0.0.1:1", tmp_path / "ca.pem")
    assert list(env) == [
        "SALESFORCE_LOGIN_URL",
        "SALESFORCE_CLIENT_ID",
        "SALESFORCE_CLIENT_SECRET",
        "HUBSPOT_BASE_URL",
        "HUBSPOT_ACCESS_TOKEN",
        "CRM_SYNC_CA_BUNDLE",
    ]
    assert env["SALESFORCE_CLIENT_ID"] == "sf-id" and env["HUBSPOT_ACCESS_TOKEN"] == "hs-token"


@pytest.mark.skipif(not emulators_available(), reason="real emulators not importable yet")
def test_persistence_round_trip_with_real_emulators(tmp_path: Path) -> None:
    with Sandbox(state_dir=tmp_path) as box:
        box.salesforce.insert("Account", {"Name": "Acme"})
        box.hubspot.create("contacts", {"email": "c@example.com"})
    with Sandbox(state_dir=tmp_path) as again:
        assert [r["Name"] for r in again.salesforce.records("Account")] == ["Acme"]
        assert [o["properties"]["email"] for o in again.hubspot.objects("contacts")] == ["c@example.com"]
        again.reset()
        assert again.salesforce.records("Account") == [] and again.hubspot.objects("contacts") == []
