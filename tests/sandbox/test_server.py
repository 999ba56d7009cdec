"""SandboxServer over real HTTPS, verified against the CA it writes."""

from __future__ import annotations

import http.client
import importlib
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from sandbox.app import Sandbox
from sandbox.server import SandboxServer
from sandbox.testing import SandboxHandle, emulators_available

# imported by name: mypy would otherwise take the empty tests/sandbox/hubspot/ dir for the package
HubSpot = importlib.import_module("hubspot").HubSpot


def trusting(ca: Path) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    session.verify = str(ca)
    return session


@pytest.fixture
def served(fake_sandbox: Sandbox, tmp_path: Path) -> Iterator[SandboxServer]:
    with SandboxServer(fake_sandbox, tls_dir=tmp_path / "tls") as server:
        yield server


def test_serves_over_https_with_written_ca(served: SandboxServer, tmp_path: Path) -> None:
    assert served.ca_bundle == (tmp_path / "tls" / "ca.pem").resolve()
    assert served.url == f"https://127.0.0.1:{served.port}"
    with trusting(served.ca_bundle) as session:
        health = session.get(f"{served.url}/_sandbox/health")
        echo = session.get(f"{served.url}/services/data/echo?x=1&x=2")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert health.headers["Content-Type"].startswith("application/json")
    assert echo.json() == {"path": "/services/data/echo", "query": {"x": ["1", "2"]}, "host": served.url[8:]}


def test_untrusted_client_is_refused(served: SandboxServer) -> None:
    session = requests.Session()
    session.trust_env = False
    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{served.url}/_sandbox/health", verify=True)  # system CAs only
    with trusting(served.ca_bundle) as ok:
        assert ok.get(f"{served.url}/_sandbox/health").status_code == 200  # server survived


def test_localhost_name_verifies(served: SandboxServer) -> None:
    with trusting(served.ca_bundle) as session:
        assert session.get(f"https://localhost:{served.port}/_sandbox/health").status_code == 200


def test_keep_alive_reuses_one_connection(served: SandboxServer) -> None:
    context = ssl.create_default_context(cafile=str(served.ca_bundle))
    conn = http.client.HTTPSConnection("127.0.0.1", served.port, context=context, timeout=5)
    try:
        for i in range(3):
            body = json.dumps({"n": i})
            conn.request("POST", "/crm/v3/records", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            assert response.status == 201
            assert int(response.headers["Content-Length"]) == len(response.read())
        conn.request("DELETE", "/_sandbox/faults")
        no_body = conn.getresponse()
        assert no_body.status == 200 and no_body.read()
    finally:
        conn.close()
    assert served.connections_accepted == 1
    with trusting(served.ca_bundle) as session:
        for _ in range(3):
            session.get(f"{served.url}/services/x")
    assert served.connections_accepted == 2


def test_chunked_request_body_and_204(served: SandboxServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"Name": '
        yield b'"Chunky"}'

    with trusting(served.ca_bundle) as session:
        created = session.post(f"{served.url}/services/x/records", data=chunks())
        assert created.status_code == 201
        got = session.get(f"{served.url}/services/x/records/{created.json()['id']}")
        assert got.json() == {"Name": "Chunky"}
        sent = session.post(f"{served.url}/services/email", json={"to": ["a@b.c"], "subject": "s"})
        assert sent.status_code == 204 and sent.content == b""
        head = session.head(f"{served.url}/services/x")
        assert head.status_code == 200 and head.content == b""
        assert session.get(f"{served.url}/services/x").status_code == 200  # connection still in sync


def test_drop_closes_connection_without_answer(served: SandboxServer) -> None:
    with trusting(served.ca_bundle) as session:
        session.post(f"{served.url}/_sandbox/faults", json={"drop": True, "path_regex": "^/crm/"})
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(f"{served.url}/crm/v3/objects/contacts")
        assert session.get(f"{served.url}/crm/v3/objects/contacts").status_code == 200
    assert [r["status"] for r in served.sandbox.requests()] == [0, 200]


def test_fault_status_and_headers_over_the_wire(served: SandboxServer) -> None:
    with trusting(served.ca_bundle) as session:
        fault = {"status": 429, "crm": "hubspot", "headers": {"Retry-After": "2"}, "body": {"m": 1}}
        assert session.post(f"{served.url}/_sandbox/faults", json=fault).status_code == 201
        limited = session.get(f"{served.url}/crm/v3/objects/contacts")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2" and limited.json() == {"m": 1}


def test_hubspot_api_client_over_https_keeps_alive(served: SandboxServer) -> None:
    owner = {"email": "o@example.com", "firstName": "O", "lastName": "W", "teams": ["Support"]}
    with trusting(served.ca_bundle) as session:
        assert session.post(f"{served.url}/_sandbox/hubspot/owners", json=owner).status_code == 201
    client = HubSpot(access_token="hs-token", host=served.url, ssl_ca_cert=str(served.ca_bundle))
    api = client.crm.owners.owners_api  # each discovery builds a new ApiClient (and pool)
    before = served.connections_accepted
    for _ in range(3):
        page = api.get_page()
        assert [o.email for o in page.results] == ["o@example.com"]
        assert page.results[0].teams[0].name == "Support"
    assert served.connections_accepted == before + 1


def test_certificates_are_reused(fake_sandbox: Sandbox, tmp_path: Path) -> None:
    tls = tmp_path / "tls"
    with SandboxServer(fake_sandbox, tls_dir=tls) as first:
        ca = first.ca_bundle.read_bytes()
        leaf = (tls / "server.pem").read_bytes()
    with SandboxServer(fake_sandbox, tls_dir=tls) as second:
        assert second.ca_bundle.read_bytes() == ca and (tls / "server.pem").read_bytes() == leaf
    (tls / "server.pem").write_text("garbage")
    with SandboxServer(fake_sandbox, tls_dir=tls) as third:
        assert third.ca_bundle.read_bytes() == ca  # same CA, new leaf
        with trusting(tls / "ca.pem") as session:
            assert session.get(f"{third.url}/_sandbox/health").status_code == 200


def test_without_tls_dir_uses_a_temporary_one(fake_sandbox: Sandbox) -> None:
    with SandboxServer(fake_sandbox) as server, trusting(server.ca_bundle) as session:
        ca = server.ca_bundle
        assert session.get(f"{server.url}/_sandbox/health").status_code == 200
    assert not ca.exists()


def test_stop_closes_idle_keep_alive_connections(fake_sandbox: Sandbox, tmp_path: Path) -> None:
    server = SandboxServer(fake_sandbox, tls_dir=tmp_path).start()
    session = trusting(server.ca_bundle)
    assert session.get(f"{server.url}/_sandbox/health").status_code == 200
    server.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(f"{server.url}/_sandbox/health", timeout=5)
    session.close()


def test_ipv6_loopback(fake_sandbox: Sandbox, tmp_path: Path) -> None:
    try:
        server = SandboxServer(fake_sandbox, host="::1", tls_dir=tmp_path)
    except OSError:
        pytest.skip("no IPv6 loopback")
    with server, trusting(server.ca_bundle) as session:
        assert server.url.startswith("https://[::1]:")
        assert session.get(f"{server.url}/_sandbox/health").status_code == 200


@pytest.mark.skipif(not emulators_available(), reason="real emulators not importable yet")
def test_sandbox_server_fixture_with_real_emulators(sandbox_server: SandboxHandle) -> None:
    env = sandbox_server.client_env()
    assert env["SALESFORCE_LOGIN_URL"] == sandbox_server.url == env["HUBSPOT_BASE_URL"]
    assert env["CRM_SYNC_CA_BUNDLE"] == str(sandbox_server.ca_bundle)
    with sandbox_server.session() as session:
        assert session.get(f"{sandbox_server.url}/_sandbox/health").json()["status"] == "ok"
        owner = {"email": "owner@example.com", "firstName": "Olga", "lastName": "W", "teams": ["Support"]}
        assert session.post(f"{sandbox_server.url}/_sandbox/hubspot/owners", json=owner).status_code == 201
        token = session.post(
            f"{sandbox_server.url}/services/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(env["SALESFORCE_CLIENT_ID"], env["SALESFORCE_CLIENT_SECRET"]),
        )
        assert token.status_code == 200 and token.json()["access_token"]
    client = HubSpot(access_token=env["HUBSPOT_ACCESS_TOKEN"], host=env["HUBSPOT_BASE_URL"])
    client.config["ssl_ca_cert"] = env["CRM_SYNC_CA_BUNDLE"]
    emails = [o.email for o in client.crm.owners.owners_api.get_page().results]
    assert "owner@example.com" in emails
    contact = client.crm.contacts.basic_api.create({"properties": {"email": "c@example.com"}})
    stored = sandbox_server.sandbox.hubspot.objects("contacts")
    assert [o["id"] for o in stored] == [contact.id]
    assert [r["crm"] for r in sandbox_server.sandbox.requests()] == ["salesforce", "hubspot", "hubspot"]


@pytest.mark.skipif(not emulators_available(), reason="real emulators not importable yet")
def test_sandbox_server_fixture_resets_between_tests(sandbox_server: SandboxHandle) -> None:
    assert sandbox_server.sandbox.requests() == []  # the previous test's requests are gone
