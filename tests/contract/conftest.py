"""Fixtures for the contract suite: the real client libraries against the served sandbox, or against a
real Salesforce org and HubSpot portal when ``CRM_SYNC_LIVE_*`` is set (``tests.contract.live``).

Every test talks to the CRMs through their public APIs only. The one exception is ``backdoor``: it
seeds what the real API cannot write (feedback submissions, owners, over the sandbox's
``/_sandbox`` endpoints), seeds bulk volumes quickly where a test is only about paging, tightens
limits, and reads the sent-mail outbox. Tests that use it are marked ``backdoor`` and skipped in a
live run; nothing else changes. ``tests.contract.markers`` makes collection fail for a test that
does not name its source (``documented``/``guessed``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from hubspot import HubSpot
from simple_salesforce import Salesforce

from sandbox.testing import SandboxHandle, sandbox_server, sandbox_server_session  # noqa: F401
from tests.contract.live import LiveConfigError, LiveTarget, live_target
from tests.contract.markers import BACKDOOR_MARKER, BACKDOOR_REASON, PLUGIN_NAME, ContractSuite

SF_VERSION = "62.0"
SF_DATA = f"/services/data/v{SF_VERSION}"
FEEDBACK_TO_CONTACT = 98  # HUBSPOT_DEFINED feedback submission -> contact


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", BACKDOOR_MARKER)
    try:
        target = live_target()
    except LiveConfigError as exc:
        raise pytest.UsageError(f"contract suite: {exc}") from None
    if not config.pluginmanager.has_plugin(PLUGIN_NAME):
        config.pluginmanager.register(ContractSuite(Path(__file__).parent, target), PLUGIN_NAME)


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

    def _post(self, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        with self.server.session() as session:
            answer = session.post(f"{self.server.url}/_sandbox/{path}", json=body, timeout=10)
        assert answer.status_code == status, answer.text
        return dict(answer.json())

    def hubspot_unique_clash(self, message: str, code: str) -> None:
        """Word unique-value clashes differently (until the sandbox is reset): HubSpot does not document
        the wording, so nothing may depend on it."""
        self._post("hubspot/unique-clash", {"message": message, "code": code}, status=200)

    def feedback_submission(self, properties: dict[str, Any], contact_id: str) -> str:
        """A survey response linked to its contact: the feedback submissions API is read-only, so it is
        seeded through ``POST /_sandbox/hubspot/objects/feedback_submissions``."""
        association = {
            "to": {"id": contact_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": FEEDBACK_TO_CONTACT}],
        }
        body = {"properties": {**properties, "hs_contact_id": contact_id}, "associations": [association]}
        return str(self._post("hubspot/objects/feedback_submissions", body)["id"])

    def hubspot_send_results(
        self, results: dict[str, str], pending: str | None = None, processing: str | None = None
    ) -> None:
        """Script transactional sends (final ``sendResult`` by address; time spent PENDING, then
        PROCESSING, on the sandbox's clock) until the sandbox is reset."""
        body: dict[str, Any] = {"results": results}
        body |= {k: v for k, v in (("pending", pending), ("processing", processing)) if v is not None}
        self._post("hubspot/send-results", body, status=200)

    def hubspot_oauth_token(self) -> str:
        """The sandbox portal's OAuth app token (a live run would need an OAuth app installed)."""
        return str(self.server.sandbox.hubspot.settings.oauth_access_token)

    def advance_clock(self, duration: str) -> None:
        """Move both CRMs' clock forward (``"2m"``, ``"1d"``)."""
        self._post("clock", {"advance": duration}, status=200)

    def hubspot_owner(
        self, email: str, first: str, last: str, teams: list[str], owner_type: str = "PERSON"
    ) -> dict[str, Any]:
        """An owner in ``teams`` (the first is primary; ``QUEUE``: a help desk queue): owners are
        read-only through the API, so it is seeded through ``POST /_sandbox/hubspot/owners``."""
        body: dict[str, Any] = {"email": email, "firstName": first, "lastName": last, "teams": teams}
        if owner_type != "PERSON":
            body["type"] = owner_type
        return self._post("hubspot/owners", body)

    def salesforce_daily_budget(self, calls: int) -> None:
        """Shrink the org's daily API allocation (restored after the test)."""
        self.monkeypatch.setattr(self.server.sandbox.salesforce.settings, "daily_api_budget", calls)

    def salesforce_org(self, **settings: Any) -> None:
        """Change the org's setup (``enhanced_email``, ``email_deliverability``, ``feed_tracking_off``...)
        for one test: what an admin sets in Setup, which the API cannot."""
        for name, value in settings.items():
            self.monkeypatch.setattr(self.server.sandbox.salesforce.settings, name, value)

    def salesforce_race_upserts(self, times: int) -> None:
        """The next ``times`` upserts by external id lose a race to a concurrent upsert of the same id."""
        self.server.sandbox.salesforce.race_upserts(times)

    def hubspot_burst_limit(self, calls: int) -> None:
        """Shrink the portal's 10-second burst limit (restored after the test)."""
        self.monkeypatch.setattr(self.server.sandbox.hubspot.settings, "rate_limit_per_10s", calls)

    def sent_emails(self) -> list[dict[str, Any]]:
        """Emails either CRM sent (a live run would read a test mailbox instead)."""
        with self.server.session() as session:
            answer = session.get(f"{self.server.url}/_sandbox/emails", timeout=10)
        answer.raise_for_status()
        return list(answer.json()["emails"])


@pytest.fixture(scope="session")
def live() -> LiveTarget:
    """The real org and portal named by ``CRM_SYNC_LIVE_*`` (inactive: the served sandbox)."""
    return live_target()


@pytest.fixture
def backdoor(live: LiveTarget, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Backdoor:
    if live.active:  # the collection hook skips these tests already; this guards a direct use
        pytest.skip(BACKDOOR_REASON)
    return Backdoor(request.getfixturevalue("sandbox_server"), monkeypatch)


@pytest.fixture
def base_url(live: LiveTarget, request: pytest.FixtureRequest) -> str:
    """Where the CRMs answer: the served sandbox (both), or in a live run the Salesforce login URL if
    Salesforce is live, else HubSpot's API host."""
    if live.active:
        env = live.client_env()
        return env["SALESFORCE_LOGIN_URL"] or env["HUBSPOT_BASE_URL"]
    return str(request.getfixturevalue("sandbox_server").url)


@pytest.fixture
def http(live: LiveTarget, request: pytest.FixtureRequest) -> Iterator[requests.Session]:
    """A plain ``requests`` session: trusting only the sandbox CA (env CA bundles ignored), or in a live
    run the public CAs."""
    if live.active:
        with requests.Session() as session:
            yield session
        return
    with request.getfixturevalue("sandbox_server").session() as session:
        yield session


@pytest.fixture
def env(live: LiveTarget, request: pytest.FixtureRequest) -> dict[str, str]:
    """The six client variables ``crm-sync sandbox serve`` prints (in a live run, the live systems')."""
    if live.active:
        return live.client_env()
    return dict(request.getfixturevalue("sandbox_server").client_env())


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
