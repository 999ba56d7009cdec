"""API calls per cycle for N new NPS detractors, measured on the sandbox's request log.

    .venv/bin/python -m bench.nps_cycle [N]

Runs the reference NPS rules (config.yaml) through the real HubSpot adapter (hubspot-api-client over
HTTPS) against a sandbox served in this process, then prints the requests of the first cycle by
endpoint, the minimum HubSpot's batch sizes allow for the same work, and an idle second cycle.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sandbox.app import Sandbox
from sandbox.seeds.hubspot import Portal
from sandbox.server import SandboxServer
from sync.connectors.registry import build_connectors, load_config
from sync.engine import Engine
from sync.store.database import create_store_engine
from sync.store.transaction import Store

ROOT = Path(__file__).resolve().parents[1]


def _endpoint(request: dict[str, object]) -> str:
    path = str(request["path"])
    parts = [p if not p.isdigit() else "{id}" for p in path.split("/")]
    return f"{request['method']} {'/'.join(parts)}"


def seed(sandbox: Sandbox, n: int) -> None:
    """Five analysts, three managers and three BPAs; ``n`` customers with one detractor answer each."""
    portal = Portal(sandbox.hubspot)
    analysts = [portal.analyst(f"Ana{i}") for i in range(5)]
    for i in range(3):
        portal.owner(["Customer Success Managers"], f"Man{i}", "Ager", "manager")
        portal.owner(["BPA"], f"Bea{i}", "Pea", "bpa")
    for i in range(n):
        portal.submission(portal.customer(analysts[i % 5]), i % 7)


def main(n: int = 1000) -> None:
    sandbox = Sandbox()
    sandbox.hubspot.settings.rate_limit_per_10s = 10_000  # measure calls, not the burst limit's waits
    sandbox.hubspot.settings.search_rate_per_second = 100
    seed(sandbox, n)
    with SandboxServer(sandbox, port=0) as server, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(sandbox.client_env(server.url, server.ca_bundle))
        os.environ.update(
            SALESFORCE_LOGIN_URL="https://unused.example",
            SALESFORCE_CLIENT_ID="x",
            SALESFORCE_CLIENT_SECRET="x",
        )
        ruleset = load_config(ROOT / "config.yaml")
        ruleset = type(ruleset)(
            **{**ruleset.__dict__, "rules": tuple(r for r in ruleset.rules if r.stream.crm == "hubspot")}
        )
        connector = build_connectors(ruleset)["hubspot"]
        store = Store(create_store_engine(f"sqlite:///{tmp}/bench.db"))
        store.migrate()
        now = datetime.now(UTC)
        engine = Engine(
            ruleset,
            store,
            {"hubspot": connector},
            rules_clock=lambda: now,
            wall_clock=lambda: datetime.now(UTC),
        )
        started = time.perf_counter()
        report = engine.run_cycle()
        elapsed = time.perf_counter() - started
        first = sandbox.requests()
        engine.run_cycle()
        second = sandbox.requests()[len(first) :]
        connector.close()
        store.close()
    print(f"{n} new detractors: {len(report.planned)} actions planned, delivery {report.delivery.summary()}")
    print(f"first cycle: {len(first)} API requests in {elapsed:.1f}s")
    for endpoint, count in sorted(Counter(_endpoint(r) for r in first).items()):
        print(f"  {count:5d}  {endpoint}")
    emails = sum(1 for a in report.planned if a.kind in ("send_email", "notify"))
    batches = math.ceil(n / 100)
    minimum = {
        "search feedback submissions (200 a page)": math.ceil(n / 200),
        "read contacts, companies (100 a batch)": 2 * batches,
        "contact→company associations (batch read)": batches,
        "owners (one list)": 1,
        "create tickets, tasks (100 a batch)": 2 * batches,
        "transactional sends (one per email, no batch endpoint)": emails,
    }
    print(f"minimum the batch sizes allow for the same work: {sum(minimum.values())}")
    for what, count in minimum.items():
        print(f"  {count:5d}  {what}")
    print(f"second cycle (nothing new): {len(second)} API requests")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
