"""An engine on a real store (SQLite or PostgreSQL) with the in-memory CRM and a hand-moved clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from rules.model import RuleSet
from sync.connectors.registry import load_config
from sync.engine import CycleReport, Engine
from sync.store.database import create_store_engine
from sync.store.state import Store
from sync.store.tables import LedgerAction, RuleOutcome, TrackedRecord
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
        with self.store.transaction() as state:
            query = select(LedgerAction)
            if status is not None:
                query = query.where(LedgerAction.status == status)
            rows = list(state.session.exec(query).all())
            state.session.expunge_all()
            return rows

    def outcomes(self) -> list[RuleOutcome]:
        with self.store.transaction() as state:
            rows = list(state.session.exec(select(RuleOutcome)).all())
            state.session.expunge_all()
            return rows

    def record(self, record_id: str) -> TrackedRecord | None:
        with self.store.transaction() as state:
            row = state.record(f"{STREAM}:{record_id}")
            if row is not None:
                state.session.expunge(row)
            return row


def build_harness(config: Path, database_url: str, clock: Clock, crm: FakeCRM | None = None) -> Harness:
    ruleset = load_config(config)
    store = Store(create_store_engine(database_url))
    store.migrate()
    crm = crm or FakeCRM()
    engine = Engine(ruleset, store, {"salesforce": crm}, rules_clock=clock, wall_clock=clock)
    return Harness(ruleset, store, crm, clock, engine)


HarnessFactory = Callable[..., Harness]
