"""The doctor against the served sandbox, with the project's own config.yaml."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.testing import SandboxHandle, sandbox_server, sandbox_server_session  # noqa: F401
from sync.cli import main

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config.yaml"
EMAIL_ID = "4242"

Doctor = Callable[..., tuple[int, dict[str, Any]]]


@pytest.fixture
def org(sandbox_server: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> SandboxHandle:  # noqa: F811
    """The served sandbox as an admin would have set it up for the shipped config: the variables
    ``sandbox serve`` prints (its SMTP server's and chat webhooks' included), a transactional email id,
    and HubSpot owners in the three teams."""
    for name, value in sandbox_server.client_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HUBSPOT_TRANSACTIONAL_EMAIL_ID", EMAIL_ID)
    hubspot = sandbox_server.sandbox.hubspot
    hubspot.seed_owner("ana@example.com", "Ana", "Lyst", ["Customer Success"])
    hubspot.seed_owner("mo@example.com", "Mo", "Nager", ["Customer Success Managers"])
    hubspot.seed_owner("bea@example.com", "Bea", "Pia", ["BPA"])
    return sandbox_server


@pytest.fixture
def doctor(org: SandboxHandle, capsys: pytest.CaptureFixture[str]) -> Doctor:
    """``doctor(config=CONFIG)``: runs ``crm-sync doctor --json``; answers (exit code, parsed output)."""

    def run(config: Path = CONFIG) -> tuple[int, dict[str, Any]]:
        capsys.readouterr()
        code = main(["doctor", "--json", "-c", str(config)])
        return code, json.loads(capsys.readouterr().out)

    return run


def statuses(report: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(c["crm"], c["name"]): c["status"] for c in report["checks"]}


def blockers(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in report["checks"] if c["status"] == "blocker"]
