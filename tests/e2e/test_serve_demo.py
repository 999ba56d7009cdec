"""`crm-sync sandbox serve --demo`: a new user's first run, with nothing seeded by hand."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.serve import EXPORT_COUNT

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def serve(args: list[str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
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
            "--demo",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    exports = [proc.stdout.readline().strip() for _ in range(EXPORT_COUNT)]
    assert all(line.startswith("export ") for line in exports), exports
    return proc, dict(line.removeprefix("export ").split("=", 1) for line in exports)


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, str]]:
    proc, env = serve(["--state-dir", str(tmp_path / "sandbox")])
    try:
        yield env
    finally:
        if proc.poll() is None:
            err = stop(proc)
            assert "seeded the demo data set" in err and "Service Level Interventions:" in err


def session(env: dict[str, str]) -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    http.verify = env["CRM_SYNC_CA_BUNDLE"]
    return http


def counts(env: dict[str, str]) -> tuple[int, int]:
    """(SLIs in Salesforce, feedback submissions in HubSpot), through the public APIs."""
    with session(env) as http:
        token = http.post(
            f"{env['SALESFORCE_LOGIN_URL']}/services/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(env["SALESFORCE_CLIENT_ID"], env["SALESFORCE_CLIENT_SECRET"]),
            timeout=30,
        ).json()
        slis: Any = http.get(
            f"{token['instance_url']}/services/data/v62.0/query",
            params={"q": "SELECT COUNT() FROM Service_Level_Intervention__c"},
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=30,
        ).json()
        submissions: Any = http.get(
            f"{env['HUBSPOT_BASE_URL']}/crm/v3/objects/feedback_submissions",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {env['HUBSPOT_ACCESS_TOKEN']}"},
            timeout=30,
        ).json()
    return int(slis["totalSize"]), len(submissions["results"])


def test_serve_demo_has_records_and_a_backfill_plans_actions(served: dict[str, str], tmp_path: Path) -> None:
    assert counts(served) == (9, 16)

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sync",
            "run",
            "--once",
            "--backfill",
            "--dry-run",
            "-c",
            str(ROOT / "config.yaml"),
        ],
        env={
            **os.environ,
            **served,
            "PYTHONPATH": str(ROOT),
            "CRM_SYNC_DATABASE_URL": f"sqlite:///{tmp_path / 'crm-sync.db'}",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    cycle = re.search(
        r"cycle ok: polled \{'salesforce.sli': 9, 'hubspot.nps': \d+\}, planned (\d+)", run.stdout
    )
    assert cycle is not None and int(cycle.group(1)) > 0, run.stdout
    plans = [line for line in run.stdout.splitlines() if line.strip().startswith("PLAN ")]
    assert any(":salesforce.sli:" in line for line in plans) and any(
        ":hubspot.nps:" in line for line in plans
    )


def test_serve_demo_keeps_a_saved_state_instead_of_seeding_twice(tmp_path: Path) -> None:
    state = tmp_path / "sandbox"
    proc, env = serve(["--state-dir", str(state)])
    assert counts(env) == (9, 16)
    stop(proc)

    again, env = serve(["--state-dir", str(state)])
    assert counts(env) == (9, 16)
    assert "kept the saved state" in stop(again)
