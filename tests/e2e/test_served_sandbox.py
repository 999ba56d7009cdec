"""End to end: `crm-sync sandbox serve` in one process, `crm-sync run --once` in another, over HTTPS,
through the real clients, with the project's own config.yaml and the demo data set."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from sandbox.app import Sandbox
from sandbox.demo_data import DemoSummary, seed_demo
from sandbox.serve import EXPORT_COUNT

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def crm_sync(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync", *args, "-c", str(ROOT / "config.yaml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[dict[str, str], DemoSummary]]:
    state = tmp_path / "sandbox"
    box = Sandbox(state_dir=state)
    summary = seed_demo(box, datetime.now(UTC))
    box.close()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sync",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--smtp-port",
            "0",
            "--state-dir",
            str(state),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert server.stdout is not None
        exports = [server.stdout.readline().strip() for _ in range(EXPORT_COUNT)]
        variables = dict(line.removeprefix("export ").split("=", 1) for line in exports)
        assert list(variables)[:6] == [
            "SALESFORCE_LOGIN_URL",
            "SALESFORCE_CLIENT_ID",
            "SALESFORCE_CLIENT_SECRET",
            "HUBSPOT_BASE_URL",
            "HUBSPOT_ACCESS_TOKEN",
            "CRM_SYNC_CA_BUNDLE",
        ]
        assert {"CRM_SYNC_SMTP_HOST", "SLACK_CS_ALERTS_WEBHOOK_URL", "TEAMS_CS_ALERTS_WEBHOOK_URL"} <= set(
            variables
        )
        env = {
            **os.environ,
            **variables,
            "PYTHONPATH": str(ROOT),
            "CRM_SYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'crm-sync.db'}",
        }
        yield env, summary
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 0


def sandbox_get(env: dict[str, str], path: str) -> dict:  # type: ignore[type-arg]
    session = requests.Session()
    session.trust_env = False
    response = session.get(env["SALESFORCE_LOGIN_URL"] + path, verify=env["CRM_SYNC_CA_BUNDLE"], timeout=30)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def test_the_worker_runs_both_processes_against_the_served_sandbox_exactly_once(
    served: tuple[dict[str, str], DemoSummary],
) -> None:
    env, summary = served
    refused = crm_sync("run", "--once", env=env)  # records already there, no `since`: not alerted blindly
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert (
        "already has records and this is its first poll" in refused.stderr and "--backfill" in refused.stderr
    )
    assert sandbox_get(env, "/_sandbox/emails")["emails"] == []
    first = crm_sync("run", "--once", "--backfill", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    emails = sandbox_get(env, "/_sandbox/emails")["emails"]
    sf_alerts = [
        e for e in emails if e["source"] == "salesforce" and e["subject"].startswith("New Service Level")
    ]
    assert {e["related_id"] for e in sf_alerts} == set(summary.slis.values())
    hs_emails = [e for e in emails if e["source"] == "smtp"]
    assert hs_emails, "detractors get an intro email and the team a notification, by SMTP"

    second = crm_sync("run", "--once", env=env)
    assert second.returncode == 0, second.stderr
    assert len(sandbox_get(env, "/_sandbox/emails")["emails"]) == len(emails)

    status = crm_sync("status", "--json", env=env)
    report = json.loads(status.stdout)
    rejected = {r["record"].split(":", 1)[1]: r["reason"] for r in report["rejected_records"]}
    for bad in ("N/A", "11", "7.5"):
        assert summary.nps[bad] in rejected, bad
    assert report["pending_timers"]["count"] > 0

    later = crm_sync("run", "--once", "--now", (datetime.now(UTC) + timedelta(days=31)).isoformat(), env=env)
    assert later.returncode == 0, later.stderr
    overdue = [
        e for e in sandbox_get(env, "/_sandbox/emails")["emails"] if e["subject"].startswith("Overdue:")
    ]
    assert overdue, sorted({e["subject"][:60] for e in sandbox_get(env, "/_sandbox/emails")["emails"]})
