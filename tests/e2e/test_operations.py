"""The daemon as IT runs it, against the served sandbox: JSON logs with run ids and nothing secret or
personal in them, ``/metrics`` and ``/healthz``, a standby that waits and takes over, SIGHUP and SIGTERM,
and failover on a real PostgreSQL after the active daemon is killed with SIGKILL."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from sandbox.demo_data import DemoSummary, nps_comment
from tests.e2e.test_served_sandbox import sandbox_get, served  # noqa: F401  (the served fixture)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e
WAIT_S = 120  # an upper bound on waiting for the daemon to get somewhere (never a measured duration)


def daemon_config(tmp_path: Path, interval: str = "2s") -> Path:
    """The project's own config.yaml and templates, cycling every ``interval``, health on any free port."""
    folder = tmp_path / "etc"
    shutil.copytree(ROOT / "templates", folder / "templates")
    text = (ROOT / "config.yaml").read_text()
    text = text.replace("  interval: 5m", f"  interval: {interval}", 1)
    assert f"interval: {interval}" in text
    for shipped, wanted in (("  port: 9464", "  port: 0"), ("  log_format: auto", "  log_format: json")):
        assert shipped in text
        text = text.replace(shipped, wanted, 1)
    (folder / "config.yaml").write_text(text)
    return folder / "config.yaml"


class Daemon:
    """One ``crm-sync daemon`` process with its log in a file."""

    def __init__(self, config: Path, env: dict[str, str], log: Path, *flags: str) -> None:
        self.log = log
        self.handle = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sync", "daemon", "--backfill", *flags, "-c", str(config)],
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for raw in self.log.read_text().splitlines():
            try:
                out.append(json.loads(raw))
            except json.JSONDecodeError:
                out.append({"message": raw, "unparsed": True})
        return out

    def wait_for(self, test: Callable[[list[dict[str, Any]]], bool], what: str) -> list[dict[str, Any]]:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            lines = self.lines()
            if test(lines):
                return lines
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"daemon never reached: {what}\n{self.log.read_text()[-4000:]}")

    def cycles(self, lines: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        return [line for line in (lines or self.lines()) if str(line.get("message", "")).startswith("cycle ")]

    @property
    def url(self) -> str:
        lines = self.wait_for(
            lambda ls: any("serving /metrics" in str(x.get("message")) for x in ls), "serving"
        )
        message = next(str(x["message"]) for x in lines if "serving /metrics" in str(x.get("message")))
        found = re.search(r"http://[\d.]+:\d+", message)
        assert found, message
        return found.group(0)

    def get(self, path: str) -> requests.Response:
        session = requests.Session()
        session.trust_env = False
        return session.get(self.url + path, timeout=10)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=WAIT_S)
        self.handle.close()
        return code


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait(timeout=30)
        daemon.handle.close()


def test_a_daemon_logs_serves_metrics_and_health_reloads_and_hands_over_to_its_standby(
    served: tuple[dict[str, str], DemoSummary],  # noqa: F811
    daemons: list[Daemon],
    tmp_path: Path,
) -> None:
    env, _summary = served
    config = daemon_config(tmp_path)
    active = Daemon(config, env, tmp_path / "active.log", "-v")  # debug lines too: none may leak
    daemons.append(active)
    lines = active.wait_for(lambda ls: len(Daemon.cycles(active, ls)) >= 2, "two cycles")
    first, second = active.cycles(lines)[:2]
    assert first["level"] == "INFO" and first["outcome"] == "ok", first
    assert first["run_id"] != second["run_id"] and first["run_id"] != "-"
    assert first["streams"]["salesforce.sli"]["read"] > 0 and first["delivered"] > 0
    assert first["calls"]["salesforce"] > 0 and first["calls"]["hubspot"] > 0
    assert set(first) >= {"streams", "planned", "delivered", "calls", "budget_left", "duration_s", "time"}
    assert second["planned"] == 0 and second["delivered"] == 0  # nothing new: nothing owed twice

    health = active.get("/healthz")
    assert health.status_code == 200 and health.text.startswith("ok: active"), health.text
    metrics = active.get("/metrics").text
    for expected in (
        'crm_sync_cycles_total{outcome="ok"}',
        'crm_sync_api_calls_total{crm="salesforce"}',
        'crm_sync_api_calls_total{crm="hubspot"}',
        'crm_sync_ledger_actions{status="delivered"}',
        "crm_sync_oldest_due_action_lateness_seconds",
        "crm_sync_timers_due",
        "crm_sync_last_success_timestamp_seconds",
        "crm_sync_cycle_duration_seconds_bucket",
        "crm_sync_active 1.0",
    ):
        assert expected in metrics, expected
    assert re.search(r'crm_sync_actions_total\{outcome="delivered",rule="[a-z0-9_.-]+"\} [1-9]', metrics)
    assert active.get("/elsewhere").status_code == 404

    standby = Daemon(config, env, tmp_path / "standby.log")
    daemons.append(standby)
    standby.wait_for(lambda ls: any(str(x.get("message")).startswith("standby:") for x in ls), "standby")
    answer = standby.get("/healthz")
    assert answer.status_code == 200 and answer.text.startswith("standby"), answer.text
    assert "crm_sync_active 0.0" in standby.get("/metrics").text
    assert not standby.cycles()  # a standby holds no work

    # SIGHUP with a broken rule: the error is located, the running rules are kept, cycles go on.
    good = config.read_text()
    config.write_text(good.replace("rules:\n", "rules:\n  - id: Broken Id\n", 1))
    before = len(active.cycles())
    active.process.send_signal(signal.SIGHUP)
    active.wait_for(lambda ls: any("config change ignored" in str(x.get("message")) for x in ls), "refusal")
    refusal = next(x for x in active.lines() if "config change ignored" in str(x.get("message")))
    assert "config.yaml:" in refusal["message"], refusal
    active.wait_for(lambda ls: len(Daemon.cycles(active, ls)) > before, "a cycle after the bad reload")
    config.write_text(good)
    active.process.send_signal(signal.SIGHUP)
    active.wait_for(lambda ls: any("config reloaded" in str(x.get("message")) for x in ls), "reload")

    assert active.stop(signal.SIGTERM) == 0
    assert any(x.get("message") == "stopped" for x in active.lines())
    standby.wait_for(lambda ls: any(str(x.get("message")).startswith("active:") for x in ls), "takeover")
    standby.wait_for(lambda ls: len(Daemon.cycles(standby, ls)) >= 1, "a cycle as the active daemon")
    assert standby.stop(signal.SIGTERM) == 0

    # Nothing secret or personal in any line: the token, the client secret, an address, a comment.
    logs = active.log.read_text() + standby.log.read_text()
    assert all(not x.get("unparsed") for x in active.lines() + standby.lines())
    contacts = sandbox_get(env, "/_sandbox/emails")["emails"]
    addresses = {to for e in contacts if e["source"] in ("hubspot", "smtp") for to in e["to"]}
    assert addresses
    comments = [nps_comment(score) for score in range(7)]  # the detractors' comments
    for secret in (env["HUBSPOT_ACCESS_TOKEN"], env["SALESFORCE_CLIENT_SECRET"], *addresses, *comments):
        assert secret not in logs


def _create_detractor(env: dict[str, str], contact_id: str, comment: str) -> str:
    session = requests.Session()
    session.trust_env = False
    at = datetime.now(UTC).isoformat(timespec="milliseconds")
    body = {
        "properties": {
            "hs_survey_type": "NPS",
            "hs_survey_name": "Quarterly NPS",
            "hs_survey_channel": "EMAIL",
            "hs_value": "2",
            "hs_response_group": "DETRACTOR",
            "hs_content": comment,
            "hs_contact_id": contact_id,
            "hs_submission_timestamp": at,
            "hs_createdate": at,
            "hs_lastmodifieddate": at,
        }
    }
    response = session.post(
        env["SALESFORCE_LOGIN_URL"] + "/_sandbox/hubspot/objects/feedback_submissions",
        json=body,
        verify=env["CRM_SYNC_CA_BUNDLE"],
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _ticket_count(env: dict[str, str]) -> int:
    session = requests.Session()
    session.trust_env = False
    response = session.post(
        env["HUBSPOT_BASE_URL"].rstrip("/") + "/crm/v3/objects/tickets/search",
        json={"properties": ["crm_sync_key"], "limit": 1},
        headers={"Authorization": f"Bearer {env['HUBSPOT_ACCESS_TOKEN']}"},
        verify=env["CRM_SYNC_CA_BUNDLE"],
        timeout=30,
    )
    response.raise_for_status()
    return int(response.json()["total"])


def _ledger(url: str, record_id: str) -> list[tuple[str, str, int]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT kind, status, attempts FROM actions WHERE record_key LIKE :key ORDER BY kind"
                ),
                {"key": f"%:{record_id}"},
            ).all()
    finally:
        engine.dispose()
    return [(str(k), str(s), int(a)) for k, s, a in rows]


@pytest.mark.postgres
def test_the_standby_takes_over_on_postgresql_after_the_active_daemon_is_killed(
    served: tuple[dict[str, str], DemoSummary],  # noqa: F811
    daemons: list[Daemon],
    postgres_url: str,
    tmp_path: Path,
) -> None:
    env, summary = served
    env = {**env, "CRM_SYNC_DATABASE_URL": postgres_url}
    config = daemon_config(tmp_path)
    first = Daemon(config, env, tmp_path / "first.log")
    daemons.append(first)
    first.wait_for(lambda ls: len(Daemon.cycles(first, ls)) >= 1, "a first cycle")
    second = Daemon(config, env, tmp_path / "second.log")
    daemons.append(second)
    second.wait_for(lambda ls: any(str(x.get("message")).startswith("standby:") for x in ls), "standby")

    status = subprocess.run(
        [sys.executable, "-m", "sync", "status", "--json", "-c", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    roles = sorted((d["role"], d["name"].rsplit(":", 1)[-1]) for d in shown["daemons"])
    assert roles == sorted([("active", str(first.process.pid)), ("standby", str(second.process.pid))])
    assert shown["worker_running"] is True

    tickets = _ticket_count(env)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=30)
    contact = summary.cases["hubspot.contact_no_company"]
    submission = _create_detractor(env, contact, "Owed after the failover.")
    second.wait_for(lambda ls: any(str(x.get("message")).startswith("active:") for x in ls), "takeover")
    second.wait_for(
        lambda ls: any(c["streams"].get("hubspot.nps", {}).get("read") for c in Daemon.cycles(second, ls)),
        "the new response polled",
    )
    cycles_then = len(second.cycles())
    second.wait_for(lambda ls: len(Daemon.cycles(second, ls)) >= cycles_then + 2, "two more cycles")
    assert _ticket_count(env) == tickets + 1  # the new detractor's ticket, once
    owed = _ledger(postgres_url, submission)
    assert owed and all(status == "delivered" and attempts == 1 for _, status, attempts in owed), owed
    assert "create_ticket" in {kind for kind, _, _ in owed}

    # The database drops the active daemon's lock session: it stops acting and exits 1 (to be restarted).
    admin = sa.create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": f"crm-sync active {socket.gethostname()}:{second.process.pid}"[:63]},
        )
    admin.dispose()
    assert second.process.wait(timeout=WAIT_S) == 1
    assert any("was lost" in str(x.get("message")) for x in second.lines())


def test_sigterm_during_a_stuck_call_exits_after_the_stop_timeout(
    served: tuple[dict[str, str], DemoSummary],  # noqa: F811
    daemons: list[Daemon],
    tmp_path: Path,
) -> None:
    """Salesforce asks for a minute's wait on every query: the cycle cannot finish its action in flight
    within ``stop_timeout`` (1s), so the daemon says so and exits 1 instead of hanging."""
    env, _summary = served
    config = daemon_config(tmp_path)
    config.write_text(config.read_text().replace("  stop_timeout: 30s", "  stop_timeout: 1s", 1))
    session = requests.Session()
    session.trust_env = False
    fault = {
        "crm": "salesforce",
        "method": "GET",
        "path_regex": "/query",
        "status": 503,
        "times": 100,
        "headers": {"Retry-After": "60"},
    }
    base = env["SALESFORCE_LOGIN_URL"]
    assert session.post(
        base + "/_sandbox/faults", json=fault, verify=env["CRM_SYNC_CA_BUNDLE"], timeout=30
    ).ok
    daemon = Daemon(config, env, tmp_path / "stuck.log")
    daemons.append(daemon)
    deadline = time.monotonic() + WAIT_S
    while not any(r["status"] == 503 for r in sandbox_get(env, "/_sandbox/requests")["requests"]):
        assert time.monotonic() < deadline and daemon.process.poll() is None, daemon.log.read_text()
        time.sleep(0.2)
    daemon.process.send_signal(signal.SIGTERM)
    assert daemon.process.wait(timeout=45) == 1  # well before the minute the CRM asked for
    assert any("did not end within 1s" in str(x.get("message")) for x in daemon.lines()), daemon.lines()
