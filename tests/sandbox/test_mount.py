"""The ``responses`` mount: requests and simple-salesforce answered by Sandbox.dispatch."""

from __future__ import annotations

import base64

import pytest
import requests
import responses
from simple_salesforce import Salesforce

from sandbox.app import Sandbox
from sandbox.mount import DEFAULT_BASE_URL, mount, mounted, url_pattern
from sandbox.testing import emulators_available


def test_requests_are_answered_with_host_header(fake_sandbox: Sandbox) -> None:
    with mounted(fake_sandbox) as (box, _rsps):
        echo = requests.get(f"{DEFAULT_BASE_URL}/services/data/echo", params={"q": "a b"})
        created = requests.post(f"{DEFAULT_BASE_URL}/crm/v3/records", json={"email": "x@y.z"})
        health = requests.get(f"{DEFAULT_BASE_URL}/_sandbox/health")
        missing = requests.delete(f"{DEFAULT_BASE_URL}/nowhere")
    assert box is fake_sandbox
    assert echo.json() == {
        "path": "/services/data/echo",
        "query": {"q": ["a b"]},
        "host": "sandbox.crm-sync.test",
    }
    assert (
        echo.headers["Content-Type"].startswith("application/json") and echo.headers["X-Fake"] == "salesforce"
    )
    assert created.status_code == 201 and fake_sandbox.hubspot.store == {
        created.json()["id"]: {"email": "x@y.z"}
    }
    assert health.json()["status"] == "ok"
    assert missing.status_code == 404


def test_drop_raises_connection_error(fake_sandbox: Sandbox) -> None:
    fake_sandbox.add_fault({"drop": True, "times": 1})
    with mounted(fake_sandbox):
        with pytest.raises(requests.exceptions.ConnectionError, match="dropped"):
            requests.get(f"{DEFAULT_BASE_URL}/services/x")
        assert requests.get(f"{DEFAULT_BASE_URL}/services/x").status_code == 200


def test_fault_over_mount(fake_sandbox: Sandbox) -> None:
    with mounted(fake_sandbox):
        requests.post(f"{DEFAULT_BASE_URL}/_sandbox/faults", json={"status": 503, "crm": "salesforce"})
        assert requests.get(f"{DEFAULT_BASE_URL}/services/x").status_code == 503
    assert [r["status"] for r in fake_sandbox.requests()] == [503]


def test_custom_base_url_and_other_hosts_untouched(fake_sandbox: Sandbox) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mount(fake_sandbox, rsps, "https://crm.example.test:8443/")
        assert requests.get("https://crm.example.test:8443/services/x").status_code == 200
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get("https://crm.example.test.evil/services/x")


def test_url_pattern() -> None:
    pattern = url_pattern("https://sandbox.crm-sync.test")
    assert pattern.match("https://sandbox.crm-sync.test/services/data")
    assert pattern.match("https://sandbox.crm-sync.test?x=1")
    assert pattern.match("https://acme.my.salesforce.com/services/oauth2/token")
    assert pattern.match("https://login.salesforce.com:443/services/Soap/u/59.0")
    assert not pattern.match("https://sandbox.crm-sync.testing/x")
    assert not pattern.match("https://salesforce.com.evil.test/x")


def test_simple_salesforce_client_credentials_login(fake_sandbox: Sandbox) -> None:
    with mounted(fake_sandbox) as (_box, rsps):
        sf = Salesforce(consumer_key="sf-id", consumer_secret="sf-secret", domain="sandbox.my")
        assert sf.sf_instance == "sandbox.my.salesforce.com"  # the fake echoes the Host as instance_url
        result = sf.restful("echo", params={"a": "1"})
        assert result is not None
        token_call = rsps.calls[0].request
    assert result["path"] == "/services/data/v59.0/echo" and result["query"] == {"a": ["1"]}
    assert "grant_type=client_credentials" in str(token_call.body)
    assert token_call.headers["Authorization"] == "Basic " + base64.b64encode(b"sf-id:sf-secret").decode()


def test_simple_salesforce_with_session_on_base_url(fake_sandbox: Sandbox) -> None:
    with mounted(fake_sandbox):
        sf = Salesforce(instance_url=DEFAULT_BASE_URL, session_id="tok")
        result = sf.restful("echo")
        assert result is not None and result["host"] == "sandbox.crm-sync.test"


@pytest.mark.skipif(not emulators_available(), reason="real emulators not importable yet")
def test_sandbox_responses_fixture_client_credentials(
    sandbox_responses: tuple[Sandbox, responses.RequestsMock],
) -> None:
    box, _rsps = sandbox_responses
    creds = box.credentials()
    sf = Salesforce(
        consumer_key=creds.salesforce_client_id,
        consumer_secret=creds.salesforce_client_secret,
        domain="acme.my",
    )
    assert sf.session_id
    assert requests.get(f"{DEFAULT_BASE_URL}/_sandbox/health").json()["status"] == "ok"
    assert [r["path"] for r in box.requests()][:1] == ["/services/oauth2/token"]


@pytest.mark.skipif(not emulators_available(), reason="real emulators not importable yet")
def test_simple_salesforce_query_through_mount_with_real_emulator(
    sandbox_responses: tuple[Sandbox, responses.RequestsMock],
) -> None:
    box, _rsps = sandbox_responses
    box.salesforce.insert("Account", {"Name": "Acme"})
    creds = box.credentials()
    sf = Salesforce(
        consumer_key=creds.salesforce_client_id,
        consumer_secret=creds.salesforce_client_secret,
        domain="acme.my",
        version="62.0",
    )
    result = sf.query("SELECT Id, Name FROM Account")
    assert [r["Name"] for r in result["records"]] == ["Acme"]
