"""The measured side: the real worker (config.yaml, both adapters, the engine) against the sandbox host.

``Worker`` builds what ``crm-sync run`` builds, with three differences: the clocks are a
:class:`MovableClock` kept in step with the host's, HubSpot's pacing sleeps are recorded instead of
waited, and the connectors are :class:`bench.measure.Traced`, so pages, records and the statements
spent storing them can be counted.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

from bench.measure import SqlCounter, Traced, VirtualTime
from rules.model import RuleSet
from sandbox.clock import MovableClock
from sync.channels.registry import build_outlets
from sync.connectors.hubspot import HubSpotConnector
from sync.connectors.hubspot.settings import HubSpotSettings
from sync.connectors.registry import build_connectors, load_config
from sync.engine import Engine
from sync.store.database import create_store_engine
from sync.store.tables import LedgerAction
from sync.store.transaction import Store

CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"


class HostClient:
    """The benchmark's requests to the sandbox host (``/_bench/``)."""

    def __init__(self, url: str, ca_bundle: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = ca_bundle

    def _call(self, method: str, what: str, **kwargs: Any) -> dict[str, Any]:
        response = self.session.request(method, f"{self.url}/_bench/{what}", timeout=3600, **kwargs)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def now(self) -> datetime:
        return datetime.fromisoformat(self._call("GET", "clock")["now"])

    def advance(self, seconds: float) -> datetime:
        return datetime.fromisoformat(self._call("POST", "clock", json={"advance_s": seconds})["now"])

    def seed(self, slis: int = 0, responses: int = 0, spread_s: float = 300) -> dict[str, dict[str, int]]:
        body = {"slis": slis, "responses": responses, "spread_s": spread_s}
        work: dict[str, dict[str, int]] = self._call("POST", "seed", json=body)["work"]
        return work

    def log_position(self) -> int:
        return int(self._call("GET", "calls", params={"since": 10**12})["next"])

    def calls(self, since: int) -> Counter[tuple[str, str]]:
        """``{(crm, endpoint): calls}`` logged from entry ``since`` on."""
        answer = self._call("GET", "calls", params={"since": since})
        return Counter({(crm, label): int(n) for crm, label, n in answer["calls"]})

    def close(self) -> None:
        self.session.close()


def host_from_env() -> HostClient:
    return HostClient(os.environ["HUBSPOT_BASE_URL"], os.environ["CRM_SYNC_CA_BUNDLE"])


class Worker:
    """config.yaml's rules, both adapters and an engine on the store at ``db_url``, on ``clock``."""

    def __init__(
        self,
        db_url: str,
        clock: MovableClock,
        ruleset: RuleSet | None = None,
    ) -> None:
        self.clock = clock
        self.ruleset = ruleset or load_config(CONFIG)
        self.time = VirtualTime()
        self.database = create_store_engine(db_url)
        self.sql = SqlCounter(self.database)
        self.store = Store(self.database)
        self.store.migrate()
        self.adapters = self._adapters()
        self.connectors = {name: Traced(c, self.sql) for name, c in self.adapters.items()}
        self.outlets = build_outlets(self.ruleset, clock)  # SMTP and chat, served by the bench host
        # As the daemon runs it: planned actions are counted, never held (``sync.wiring``).
        self.engine = Engine(
            self.ruleset,
            self.store,
            self.connectors,
            rules_clock=clock,
            wall_clock=clock,
            keep_planned=False,
            outlets=self.outlets,
        )

    def _adapters(self) -> dict[str, Any]:
        settings = self.ruleset.settings.connection("hubspot")
        assert isinstance(settings, HubSpotSettings)
        rules = tuple(r for r in self.ruleset.rules if r.stream.crm != "hubspot")
        others = build_connectors(type(self.ruleset)(**{**self.ruleset.__dict__, "rules": rules}), self.clock)
        adapters: dict[str, Any] = dict(others)
        adapters["hubspot"] = HubSpotConnector(
            settings, sleep=self.time.sleep, monotonic=self.time.monotonic, now=self.clock
        )
        return adapters

    @property
    def overlap_s(self) -> float:
        """The longest polling overlap of the configured CRMs (data older than this is not re-read)."""
        overlaps = [
            getattr(self.ruleset.settings.connection(crm), "overlap", None)
            for crm in ("salesforce", "hubspot")
        ]
        return max(o.total.total_seconds() for o in overlaps if o is not None)

    def reset_polled(self) -> None:
        """Start counting pages and records afresh (before a measured cycle)."""
        for connector in self.connectors.values():
            connector.pages = connector.records = 0

    def polled(self) -> tuple[int, int]:
        """``(pages, records)`` the connectors gave since their last reset."""
        return (
            sum(c.pages for c in self.connectors.values()),
            sum(c.records for c in self.connectors.values()),
        )

    def actions_attempted(self, since: datetime) -> Counter[tuple[str, str]]:
        """``{(crm, kind): actions}`` handed to a CRM at or after ``since`` (read outside any count)."""
        table = LedgerAction.__table__  # type: ignore[attr-defined]
        query = (
            sa.select(table.c.target, table.c.kind, sa.func.count())
            .where(table.c.attempted_at >= since)
            .group_by(table.c.target, table.c.kind)
        )
        with self.database.connect() as connection:
            rows = connection.execute(query).all()
        self.sql.reset()
        return Counter({(str(target), str(kind)): int(n) for target, kind, n in rows})

    def sends_waiting(self) -> int:
        """Sends made earlier whose final status is not known yet (read outside any count)."""
        table = LedgerAction.__table__  # type: ignore[attr-defined]
        query = sa.select(sa.func.count()).where(table.c.status == "sent")
        with self.database.connect() as connection:
            waiting = int(connection.execute(query).scalar_one())
        self.sql.reset()
        return waiting

    def close(self) -> None:
        self.sql.print_shapes()
        for adapter in [*self.outlets.values(), *self.adapters.values()]:
            adapter.close()
        self.store.close()
