"""Fixtures for the contract suite: the real client libraries against the served sandbox.

Every test talks to the CRMs through their public APIs only. The one exception is ``backdoor``: it
seeds what the real API cannot write (feedback submissions, owners), seeds bulk volumes quickly
where a test is only about paging, tightens limits, and reads the sent-mail outbox. Against a live
org/portal those steps would be done by hand (or with a test inbox); nothing else would change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from simple_salesforce import Salesforce

from sandbox.seeds.hubspot import create_submission
from sandbox.testing import SandboxHandle, sandbox_server, sandbox_server_session  # noqa: F401

SF_VERSION = "62.0"
SF_DATA = f"/services/data/v{SF_VERSION}"


@dataclass
class Backdoor:
    """Emulator-side seeding and knobs; the only place the suite touches the sandbox directly."""

    server: SandboxHandle
    monkeypatch: pytest.MonkeyPatch

    def salesforce_rows(self, sobject: str, rows: Iterable[dict[str, Any]]) -> list[str]:
        """Insert many records fast (for paging checks only); returns their ids."""
        return [self.server.sandbox.salesforce.insert(sobject, dict(row)) for row in rows]

    def hubspot_records(self, object_type: str, rows: Iterable[dict[str, Any]]) -> list[str]:
        """Create many records fast (for paging checks only); returns their ids."""
        return [self.server.sandbox.hubspot.create(object_type, dict(row))["id"] for row in rows]

    def feedback_submission(self, properties: dict[str, Any], contact_id: str) -> str:
        """A survey response: the feedback submissions API is read-only, so it cannot be seeded over HTTP."""
        return create_submission(self.server.sandbox.hubspot, contact_id, properties)

    def hubspot_owner(self, email: str, first: str, last: str, teams: list[str]) -> dict[str, Any]:
        """An owner in ``teams`` (the first is primary): owners are read-only through the API."""
        return dict(self.server.sandbox.hubspot.seed_owner(email, first, last, teams))

    def salesforce_daily_budget(self, calls: int) -> None:
        """Shrink the org's daily API allocation (restored after the test)."""
        self.monkeypatch.setattr(self.server.sandbox.salesforce.settings, "daily_api_budget", calls)

    def hubspot_burst_limit(self, calls: int) -> None:
        """Shrink the portal's 10-second burst limit (restored after the test)."""
        self.monkeypatch.setattr(self.server.sandbox.hubspot.settings, "rate_limit_per_10s", calls)

    def sent_emails(self) -> list[dict[str, Any]]:
        """Emails either CRM sent (a live run would read a test mailbox instead)."""
        with self.server.session() as session:
            answer = session.get(f"{self.server.url}/_sandbox/emails", timeout=10)
        answer.raise_for_status()
        return list(answer.json()["emails"])


@pytest.fixture
def backdoor(sandbox_server: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> Backdoor:  # noqa: F811
    return Backdoor(sandbox_server, monkeypatch)


@pytest.fixture
def base_url(sandbox_server: SandboxHandle) -> str:  # noqa: F811
    """Where both CRMs answer (a live run would use the org's My Domain and api.hubapi.com)."""
    return sandbox_server.url


@pytest.fixture
def http(sandbox_server: SandboxHandle) -> Iterator[requests.Session]:  # noqa: F811
    """A plain ``requests`` session that trusts the sandbox CA and ignores env CA bundles."""
    with sandbox_server.session() as session:
        yield session


@pytest.fixture
def env(sandbox_server: SandboxHandle) -> dict[str, str]:  # noqa: F811
    """The six client variables ``crm-sync sandbox serve`` prints."""
    return sandbox_server.client_env()


# -- Salesforce -----------------------------------------------------------------------------------


@pytest.fixture
def sf_login(http: requests.Session, env: dict[str, str]) -> dict[str, Any]:
    """The OAuth 2.0 client-credentials token response (HTTP Basic, as simple-salesforce sends it)."""
    answer = http.post(
        f"{env['SALESFORCE_LOGIN_URL']}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(env["SALESFORCE_CLIENT_ID"], env["SALESFORCE_CLIENT_SECRET"]),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture
def sf(sf_login: dict[str, Any], http: requests.Session) -> Salesforce:
    """simple-salesforce on the client-credentials session."""
    return Salesforce(
        instance_url=sf_login["instance_url"],
        session_id=sf_login["access_token"],
        version=SF_VERSION,
        session=http,
    )


SfCall = Callable[..., requests.Response]


@pytest.fixture
def sf_call(sf_login: dict[str, Any], http: requests.Session) -> SfCall:
    """``sf_call(method, path_under_data_version, **kwargs)``: a raw REST call (headers, statuses)."""

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {sf_login['access_token']}", **kwargs.pop("headers", {})}
        url = f"{sf_login['instance_url']}{SF_DATA}/{path.lstrip('/')}"
        return http.request(method, url, headers=headers, timeout=30, **kwargs)

    return call


# -- HubSpot --------------------------------------------------------------------------------------


@pytest.fixture
def hs(env: dict[str, str]) -> HubSpot:
    """hubspot-api-client 12 on the sandbox (no retries: the tests want to see every answer)."""
    client = HubSpot(
        access_token=env["HUBSPOT_ACCESS_TOKEN"],
        host=env["HUBSPOT_BASE_URL"],
        base_url=env["HUBSPOT_BASE_URL"],
    )
    client.config["ssl_ca_cert"] = env["CRM_SYNC_CA_BUNDLE"]
    return client


HsCall = Callable[..., requests.Response]


@pytest.fixture
def hs_call(http: requests.Session, env: dict[str, str]) -> HsCall:
    """``hs_call(method, path, **requests_kwargs)``: a raw HubSpot call with the bearer token."""

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {env['HUBSPOT_ACCESS_TOKEN']}", **kwargs.pop("headers", {})}
        url = f"{env['HUBSPOT_BASE_URL']}/{path.lstrip('/')}"
        return http.request(method, url, headers=headers, timeout=30, **kwargs)

    return call


def hs_search(hs_call: HsCall, object_type: str, body: dict[str, Any], tries: int = 5) -> requests.Response:
    """POST a search, waiting out the search API's per-second limit (5 rps) as a real client must."""
    for _ in range(tries):
        answer = hs_call("POST", f"crm/v3/objects/{object_type}/search", json=body)
        if answer.status_code != 429:
            return answer
        time.sleep(1.0)
    return answer
