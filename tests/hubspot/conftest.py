"""Fixtures for the HubSpot adapter: the served sandbox, a connector that never really sleeps, seeding."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from rules.actions.base import Payload
from rules.actions.registry import kind as action_kind
from rules.model import RuleSet, Stream
from sandbox.app import Sandbox
from sandbox.clock import MovableClock
from sandbox.seeds.hubspot import Portal
from sandbox.server import SandboxServer
from sandbox.testing import SandboxHandle, sandbox_server, sandbox_server_session  # noqa: F401
from sync.connectors.base import OwedAction
from sync.connectors.hubspot import HubSpotConnector
from sync.connectors.hubspot.settings import HubSpotSettings
from sync.connectors.registry import build_connectors, load_config
from tests.support import T0

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"


@dataclass
class FakeTime:
    """A monotonic clock that ``sleep`` advances instantly; every sleep is recorded."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def hubspot(sandbox_server: SandboxHandle) -> Iterator[Any]:  # noqa: F811
    """The HubSpot emulator, its search limit raised (FakeTime does not really space searches)."""
    emulator = sandbox_server.sandbox.hubspot
    limits = emulator.settings
    saved = (limits.search_rate_per_second, limits.rate_limit_per_10s, limits.daily_limit)
    limits.search_rate_per_second = 1000
    yield emulator
    limits.search_rate_per_second, limits.rate_limit_per_10s, limits.daily_limit = saved


@pytest.fixture
def ruleset(sandbox_server: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> RuleSet:  # noqa: F811
    """The reference config.yaml, pointed at the sandbox."""
    for name, value in sandbox_server.client_env().items():
        monkeypatch.setenv(name, value)
    return load_config(CONFIG)


@pytest.fixture
def stream(ruleset: RuleSet) -> Stream:
    return ruleset.streams["hubspot.nps"]


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def settings(ruleset: RuleSet) -> HubSpotSettings:
    settings = ruleset.settings.connection("hubspot")
    assert isinstance(settings, HubSpotSettings)
    return settings


@pytest.fixture
def make_connector(settings: HubSpotSettings, fake_time: FakeTime, hubspot: Any) -> Iterator[Any]:
    """``make_connector(**options)``: a connector on the sandbox with fake time; closed after the test."""
    made: list[HubSpotConnector] = []

    def make(**options: Any) -> HubSpotConnector:
        options.setdefault("sleep", fake_time.sleep)
        options.setdefault("monotonic", fake_time.monotonic)
        options.setdefault("now", lambda: T0)
        connector = HubSpotConnector(options.pop("settings", settings), **options)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def connector(make_connector: Any) -> HubSpotConnector:
    connector: HubSpotConnector = make_connector()
    return connector


@dataclass
class TimedPortal:
    """A served portal whose clock (timestamps and the ``Date`` header) the test moves, and a
    connector whose worker clock is set apart, so a test can make the two disagree."""

    clock: MovableClock
    portal: Portal
    connector: HubSpotConnector
    worker_now: list[datetime]
    sandbox: Sandbox


@pytest.fixture
def timed_portal(settings: HubSpotSettings, fake_time: FakeTime, tmp_path: Path) -> Iterator[TimedPortal]:
    clock = MovableClock(T0)
    box = Sandbox(clock=clock)
    box.hubspot.settings.search_rate_per_second = 1000
    with SandboxServer(box, tls_dir=tmp_path / "tls") as server:
        handle = SandboxHandle(server=server, sandbox=box)
        env = handle.client_env()
        moved = settings.model_copy(
            update={
                "base_url": env["HUBSPOT_BASE_URL"],
                "access_token": env["HUBSPOT_ACCESS_TOKEN"],
                "ca_bundle": env["CRM_SYNC_CA_BUNDLE"],
            }
        )
        worker_now = [T0]
        connector = HubSpotConnector(
            moved, sleep=fake_time.sleep, monotonic=fake_time.monotonic, now=lambda: worker_now[0]
        )
        try:
            yield TimedPortal(clock, Portal(box.hubspot), connector, worker_now, box)
        finally:
            connector.close()
            box.close()


@pytest.fixture
def built(ruleset: RuleSet, hubspot: Any) -> Iterator[HubSpotConnector]:
    """The connector exactly as the registry builds it (real time)."""
    connector = build_connectors(ruleset)["hubspot"]
    yield connector
    connector.close()


# -- seeding (the library is sandbox.seeds.hubspot) -------------------------------------------------


@pytest.fixture
def portal(hubspot: Any) -> Portal:
    return Portal(hubspot)


def load_payload(kind: str, stored: dict[str, Any]) -> Payload:
    """A payload as the ledger loads it back."""
    found = action_kind(kind)
    assert found is not None, kind
    return found.load(stored)


def owed(kind: str, record_id: str, payload: dict[str, Any], n: int = 0, attempts: int = 0) -> OwedAction:
    """An owed action as delivery hands it over."""
    external_id = f"cs-{n:032x}"
    return OwedAction(
        f"rule:hubspot.nps:{record_id}:1:{kind}:{n}",
        external_id,
        kind,
        record_id,
        load_payload(kind, {"related_id": record_id, **payload}),
        attempts,
        tried=attempts > 0,
    )


def all_records(pages: Any) -> list[dict[str, Any]]:
    return [record for page in pages for record in page.records]


def since(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
