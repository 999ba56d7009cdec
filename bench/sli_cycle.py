"""API calls and time per cycle for N new SLIs, measured on the sandbox's request log.

    .venv/bin/python -m bench.sli_cycle [N]

Runs the reference SLI rules (config.yaml) through the real Salesforce adapter against the sandbox
mounted into ``responses`` (no network), and prints the requests of the first cycle by path, then of a
second, idle cycle.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sandbox.app import Sandbox
from sandbox.clock import MovableClock
from sandbox.mount import mounted
from sandbox.seeds.salesforce import insert_sli, seed_people
from sync.connectors.registry import load_config
from sync.connectors.salesforce import SalesforceConnector
from sync.connectors.salesforce.client import SalesforceClient
from sync.connectors.salesforce.settings import salesforce_settings
from sync.engine import Engine
from sync.store.database import create_store_engine
from sync.store.transaction import Store

BASE_URL = "https://bench.sandbox.test"


def _by_path(requests: list[dict[str, object]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for request in requests:
        path = str(request["path"]).split("/services/data/")[-1]
        path = (
            "query (nextRecordsUrl)"
            if path.count("/") >= 2 and path.startswith("v") and "/query/" in path
            else path
        )
        counts[f"{request['method']} {path.split('/', 1)[-1] if path.startswith('v') else path}"] += 1
    return counts


def main(n: int = 1000) -> None:
    clock = MovableClock(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    sandbox = Sandbox(clock=clock)
    credentials = sandbox.credentials()
    os.environ.update(
        SALESFORCE_LOGIN_URL=BASE_URL,
        SALESFORCE_CLIENT_ID=credentials.salesforce_client_id,
        SALESFORCE_CLIENT_SECRET=credentials.salesforce_client_secret,
        HUBSPOT_ACCESS_TOKEN="unused",
    )
    ruleset = load_config(Path(__file__).resolve().parents[1] / "config.yaml")
    ruleset = type(ruleset)(
        **{**ruleset.__dict__, "rules": tuple(r for r in ruleset.rules if r.stream.crm == "salesforce")}
    )
    people, refs = seed_people(sandbox.salesforce)
    for i in range(n):
        insert_sli(sandbox.salesforce, refs, clock(), people.submitter, Name=f"Client {i} - No Call No Show")
    with tempfile.TemporaryDirectory() as tmp, mounted(sandbox, BASE_URL):
        settings = salesforce_settings(ruleset)
        assert settings is not None
        connector = SalesforceConnector(SalesforceClient(settings, clock))
        store = Store(create_store_engine(f"sqlite:///{tmp}/bench.db"))
        store.migrate()
        engine = Engine(ruleset, store, {"salesforce": connector}, rules_clock=clock, wall_clock=clock)
        tracemalloc.start()
        started = time.perf_counter()
        report = engine.run_cycle()
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        first = sandbox.requests()
        engine.run_cycle()
        second = sandbox.requests()[len(first) :]
        store.close()
    print(f"{n} new SLIs: {len(report.planned)} actions planned, delivery {report.delivery.summary()}")
    print(
        f"first cycle: {len(first)} API requests in {elapsed:.1f}s (peak Python memory {peak / 2**20:.0f} MiB)"
    )
    for path, count in sorted(_by_path(first).items()):
        print(f"  {count:5d}  {path}")
    print(f"second cycle (nothing new): {len(second)} API requests")
    for path, count in sorted(_by_path(second).items()):
        print(f"  {count:5d}  {path}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
