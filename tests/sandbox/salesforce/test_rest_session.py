"""OAuth logins, session expiry, the API budget and its header, limits, and state snapshots."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.api import Usage
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceRefusedRequest,
)

from sandbox.app import Sandbox
from sandbox.clock import MovableClock
from sandbox.core import Outbox, SandboxRequest
from sandbox.mount import mounted
from sandbox.salesforce import SalesforceEmulator, SalesforceSettings
from sandbox.salesforce.testing import BASE_URL, rsa_key_pair
from sandbox.seeds.salesforce import ReferenceOrg

SOQL = "SELECT Id FROM User"


def test_client_credentials_login_and_refresh_after_expiry(
    emulator: SalesforceEmulator, clock: MovableClock, rsps: responses.RequestsMock
) -> None:
    sf = Salesforce(
        consumer_key="crm-sync-sandbox",
        consumer_secret="sandbox-secret",
        domain="crm-sync.my",
        version="62.0",
        session=requests.Session(),
    )
    assert sf.sf_instance == "crm-sync.my.salesforce.com"
    assert sf.query(SOQL)["totalSize"] == 1
    first_token = sf.session_id
    token_call = next(c for c in rsps.calls if "/oauth2/token" in str(c.request.url))
    assert token_call.request.headers["Authorization"].startswith("Basic ")
    body = token_call.response.json()
    assert set(body) == {
        "access_token",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
        "signature",
        "scope",
        "token_format",
    }
    assert body["instance_url"] == "https://crm-sync.my.salesforce.com"
    assert body["id"].endswith("/" + emulator.integration_user_id)
    assert (body["token_type"], body["issued_at"]) == ("Bearer", str(int(clock().timestamp() * 1000)))

    clock.advance(seconds=7200)
    assert sf.query(SOQL)["totalSize"] == 1  # 401 INVALID_SESSION_ID, then simple-salesforce logs in again
    assert sf.session_id != first_token


def test_client_credentials_failures(emulator: SalesforceEmulator, rsps: responses.RequestsMock) -> None:
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        Salesforce(
            consumer_key="crm-sync-sandbox",
            consumer_secret="wrong",
            domain="crm-sync.my",
            session=requests.Session(),
        )
    assert caught.value.code == "invalid_client"
    form = requests.post(
        f"{BASE_URL}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "crm-sync-sandbox",
            "client_secret": "sandbox-secret",
        },
    )
    assert form.status_code == 200 and form.json()["instance_url"] == BASE_URL
    unsupported = requests.post(f"{BASE_URL}/services/oauth2/token", data={"grant_type": "password"})
    assert (unsupported.status_code, unsupported.json()["error"]) == (400, "unsupported_grant_type")


def test_session_token_expires_by_the_injected_clock(sf: Salesforce, clock: MovableClock) -> None:
    assert sf.query(SOQL)["totalSize"] == 1
    clock.advance(seconds=7199)
    assert sf.query(SOQL)["totalSize"] == 1
    clock.advance(seconds=1)
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query(SOQL)
    assert caught.value.content == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic abc"])
def test_missing_or_unknown_token(emulator: SalesforceEmulator, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = emulator.handle(
        SandboxRequest.from_url("GET", f"{BASE_URL}/services/data/v62.0/limits", headers)
    )
    assert (response.status, response.body) == (
        401,
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )


@pytest.fixture
def key_pair() -> tuple[str, str]:
    return rsa_key_pair()


@pytest.fixture
def jwt_emulator(key_pair: tuple[str, str]) -> Any:
    """An emulator that verifies JWT assertions, on a clock near real time (the client stamps ``exp``)."""
    outbox, clock = Outbox(), MovableClock(datetime.now(UTC))
    emulator = SalesforceEmulator(
        outbox, clock=clock, settings=SalesforceSettings(jwt_public_key_pem=key_pair[1])
    )
    with mounted(Sandbox(clock=clock, outbox=outbox, salesforce=emulator), BASE_URL):
        yield emulator


def test_jwt_bearer_login(jwt_emulator: SalesforceEmulator, key_pair: tuple[str, str]) -> None:
    user = jwt_emulator.insert(
        "User", {"Username": "bot@org.test", "LastName": "Bot", "Email": "bot@org.test"}
    )
    sf = Salesforce(
        username="bot@org.test",
        consumer_key="crm-sync-sandbox",
        privatekey=key_pair[0],
        version="62.0",
        session=requests.Session(),
    )
    assert sf.sf_instance == "login.salesforce.com"
    task = sf.Task.create({"Subject": "via JWT"})
    assert jwt_emulator.records("Task")[0]["CreatedById"] == user
    assert task["success"]


def assertion(private_key: str, **claims: Any) -> str:
    payload = {
        "iss": "crm-sync-sandbox",
        "sub": "bot@org.test",
        "aud": "https://login.salesforce.com",
        "exp": int(datetime.now(UTC).timestamp()) + 180,
        **claims,
    }
    return jwt.encode(payload, private_key, algorithm="RS256")


def test_jwt_bearer_failures(jwt_emulator: SalesforceEmulator, key_pair: tuple[str, str]) -> None:
    jwt_emulator.insert("User", {"Username": "bot@org.test", "LastName": "Bot", "Email": "bot@org.test"})
    jwt_emulator.insert(
        "User", {"Username": "off@org.test", "LastName": "Off", "Email": "off@org.test", "IsActive": False}
    )
    other_key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    cases = [
        (assertion(key_pair[0]), 200, None),
        (assertion(other_key), 400, "invalid_grant"),
        (assertion(key_pair[0], exp=int(datetime.now(UTC).timestamp()) - 60), 400, "invalid_grant"),
        (assertion(key_pair[0], iss="someone-else"), 400, "invalid_client"),
        (assertion(key_pair[0], sub="nobody@org.test"), 400, "invalid_grant"),
        (assertion(key_pair[0], sub="off@org.test"), 400, "invalid_grant"),
        (assertion(key_pair[0], aud="https://evil.example"), 400, "invalid_grant"),
        ("not-a-jwt", 400, "invalid_grant"),
    ]
    for token, status, error in cases:
        response = requests.post(
            "https://login.salesforce.com/services/oauth2/token",
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": token},
        )
        assert response.status_code == status
        assert response.json().get("error") == error


def test_limit_header_and_daily_budget(
    emulator: SalesforceEmulator, clock: MovableClock, rsps: responses.RequestsMock
) -> None:
    emulator.settings.daily_api_budget = 3
    emulator.settings.token_ttl_seconds = 2 * 86400
    sf = Salesforce(
        instance_url=BASE_URL, session_id=emulator.issue_token(), version="62.0", session=requests.Session()
    )
    sf.query(SOQL)
    assert sf.api_usage["api-usage"] == Usage(1, 3)
    assert sf.limits()["DailyApiRequests"] == {"Max": 3, "Remaining": 1}
    sf.query(SOQL)
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query(SOQL)
    assert caught.value.status == 403
    assert caught.value.content == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    clock.now = datetime(2026, 11, 23, 0, 0, 1, tzinfo=UTC)  # a new UTC day; the token is still valid
    sf.query(SOQL)
    assert sf.api_usage["api-usage"] == Usage(1, 3)


def test_snapshot_restore_and_reset(sf: Salesforce, emulator: SalesforceEmulator, org: ReferenceOrg) -> None:
    sf.Task.create({"Subject": "kept", "WhatId": org.sli})
    state = json.loads(json.dumps(emulator.snapshot()))
    sf.Task.create({"Subject": "lost"})

    emulator.reset()
    assert [u["Username"] for u in emulator.records("User")] == ["integration@crm-sync.sandbox"]
    assert emulator.records("Task") == []
    with pytest.raises(SalesforceExpiredSession):
        sf.query(SOQL)

    emulator.restore(state)
    assert [t["Subject"] for t in sf.query("SELECT Subject FROM Task")["records"]] == ["kept"]
    new_id = sf.Task.create({"Subject": "after restore"})["id"]
    assert new_id not in {t["Id"] for t in emulator.records("Task")[:1]}
    assert len({t["Id"] for t in emulator.records("Task")}) == 2


def test_concurrent_requests_are_serialised(emulator: SalesforceEmulator) -> None:
    headers = {"Authorization": f"Bearer {emulator.issue_token()}", "Host": "sf.sandbox.test"}
    ids: list[str] = []

    def create(n: int) -> None:
        for i in range(40):
            body = json.dumps({"Subject": f"{n}-{i}", "Crm_Sync_Key__c": f"{n}-{i}"})
            response = emulator.handle(
                SandboxRequest.from_url(
                    "POST", f"{BASE_URL}/services/data/v62.0/sobjects/Task", headers, body
                )
            )
            ids.append(response.body["id"])

    threads = [threading.Thread(target=create, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 240
    assert emulator.snapshot()["usage"]["api"] == 240
