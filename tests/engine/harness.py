"""An engine on a real store (SQLite or PostgreSQL) with the in-memory CRM and a hand-moved clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rules.model import RuleSet
from sync.connectors.registry import load_config
from sync.engine import CycleReport, Engine
from sync.store.database import create_store_engine
from sync.store.tables import LedgerAction, RuleOutcome, TrackedRecord
from sync.store.transaction import Store
from tests.fakes import FakeCRM
from tests.support import Clock

STREAM = "salesforce.sli"


@dataclass
class Harness:
    ruleset: RuleSet
    store: Store
    crm: FakeCRM
    clock: Clock
    engine: Engine

    def cycle(self, deliver: bool = True) -> CycleReport:
        return self.engine.run_cycle(deliver=deliver)

    def actions(self, status: str | None = None) -> list[LedgerAction]:
        with self.store.transaction() as tx:
            return tx.ledger.find(status=status)

    def outcomes(self) -> list[RuleOutcome]:
        with self.store.transaction() as tx:
            return tx.outcomes.all()

    def record(self, record_id: str) -> TrackedRecord | None:
        with self.store.transaction() as tx:
            return tx.records.get(f"{STREAM}:{record_id}")


def build_harness(config: Path, database_url: str, clock: Clock, crm: FakeCRM | None = None) -> Harness:
    ruleset = load_config(config)
    store = Store(create_store_engine(database_url))
    store.migrate()
    crm = crm or FakeCRM()
    engine = Engine(ruleset, store, {"salesforce": crm}, rules_clock=clock, wall_clock=clock)
    return Harness(ruleset, store, crm, clock, engine)


HarnessFactory = Callable[..., Harness]
