"""The Salesforce adapter against the sandbox mounted into ``responses``, sharing one hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import responses

from rules.model import RuleSet
from sandbox.app import Sandbox
from sandbox.mount import mounted
from sync.connectors.registry import load_config
from sync.connectors.salesforce import SalesforceConnector
from sync.connectors.salesforce.client import SalesforceClient
from sync.connectors.salesforce.settings import salesforce_settings
from sync.engine import Engine
from sync.store.database import create_store_engine
from sync.store.transaction import Store
from tests.support import T0, Clock

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = "https://org.sandbox.test"


@dataclass
class Org:
    sandbox: Sandbox
    rsps: responses.RequestsMock
    clock: Clock
    ruleset: RuleSet
    connector: SalesforceConnector
    engine: Engine
    store: Store
    sleeps: list[float]

    @property
    def sf(self):  # type: ignore[no-untyped-def]
        return self.sandbox.salesforce

    def api_calls(self) -> int:
        return len([r for r in self.sandbox.requests() if r["crm"] == "salesforce"])


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Org]:
    clock = Clock(T0)
    sandbox = Sandbox(clock=clock)
    credentials = sandbox.credentials()
    monkeypatch.setenv("SALESFORCE_LOGIN_URL", BASE_URL)
    monkeypatch.setenv("SALESFORCE_CLIENT_ID", credentials.salesforce_client_id)
    monkeypatch.setenv("SALESFORCE_CLIENT_SECRET", credentials.salesforce_client_secret)
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "unused")
    monkeypatch.delenv("CRM_SYNC_CA_BUNDLE", raising=False)
    ruleset = load_config(ROOT / "config.yaml")
    # Only the Salesforce rules: the HubSpot ones are not under test here.
    ruleset = type(ruleset)(
        **{**ruleset.__dict__, "rules": tuple(r for r in ruleset.rules if r.stream.crm == "salesforce")}
    )
    with mounted(sandbox, BASE_URL) as (_, rsps):
        settings = salesforce_settings(ruleset)
        assert settings is not None
        sleeps: list[float] = []
        connector = SalesforceConnector(SalesforceClient(settings, clock, sleeps.append))
        store = Store(create_store_engine(f"sqlite:///{tmp_path / 'state.db'}"))
        store.migrate()
        engine = Engine(ruleset, store, {"salesforce": connector}, rules_clock=clock, wall_clock=clock)
        yield Org(sandbox, rsps, clock, ruleset, connector, engine, store, sleeps)
        store.close()
