"""``crm-sync sandbox serve`` / ``python -m sandbox serve`` as a subprocess."""

from __future__ import annotations

import json
import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from sandbox.serve import EXPORT_COUNT, export_lines
from sandbox.testing import emulators_available

ROOT = Path(__file__).resolve().parents[2]
TESTS_DIR = Path(__file__).resolve().parent
NAMES = [
    "SALESFORCE_LOGIN_URL",
    "SALESFORCE_CLIENT_ID",
    "SALESFORCE_CLIENT_SECRET",
    "HUBSPOT_BASE_URL",
    "HUBSPOT_ACCESS_TOKEN",
    "CRM_SYNC_CA_BUNDLE",
    "CRM_SYNC_SMTP_HOST",
    "CRM_SYNC_SMTP_PORT",
    "CRM_SYNC_SMTP_USERNAME",
    "CRM_SYNC_SMTP_PASSWORD",
    "CRM_SYNC_SMTP_FROM",
    "SLACK_CS_ALERTS_WEBHOOK_URL",
    "TEAMS_CS_ALERTS_WEBHOOK_URL",
]
FAKE_SERVE = (
    "import sys; sys.path.insert(0, sys.argv[1]); from conftest import make_fake_sandbox; "
    "from sandbox.serve import main; sys.exit(main(sys.argv[2:], sandbox_factory=make_fake_sandbox))"
)


class Served:
    def __init__(self, proc: subprocess.Popen[str], env: dict[str, str]) -> None:
        self.proc = proc
        self.env = env

    def session(self) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.verify = self.env["CRM_SYNC_CA_BUNDLE"]
        return session

    def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=10)


def _read_lines(proc: subprocess.Popen[str], count: int, timeout: float) -> list[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    got = []
    for _ in range(count):
        try:
            got.append(lines.get(timeout=timeout))
        except queue.Empty:
            proc.kill()
            _, err = proc.communicate()
            raise AssertionError(f"serve printed {got!r} then nothing; stderr: {err}") from None
    return got


def _parse(lines: list[str]) -> dict[str, str]:
    env = {}
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "export" and len(words) == 2, line
        name, _, value = words[1].partition("=")
        env[name] = value
    return env


@contextmanager
def serve(args: list[str], *, fake: bool = True) -> Iterator[Served]:
    prefix = ["-c", FAKE_SERVE, str(TESTS_DIR)] if fake else ["-m", "sandbox"]
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [sys.executable, *prefix, "serve", "--smtp-port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    try:
        lines = _read_lines(proc, EXPORT_COUNT, timeout=20)
        yield Served(proc, _parse(lines))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_serve_prints_env_serves_and_saves_on_sigterm(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with serve(["--port", "0", "--state-dir", str(state)]) as served:
        env = served.env
        assert list(env) == NAMES
        assert env["SALESFORCE_LOGIN_URL"] == env["HUBSPOT_BASE_URL"]
        assert env["SALESFORCE_LOGIN_URL"].startswith("https://127.0.0.1:")
        assert env["SALESFORCE_CLIENT_SECRET"] == "sf secret'$"  # survived shell quoting
        assert Path(env["CRM_SYNC_CA_BUNDLE"]) == (state / "tls" / "ca.pem").resolve()
        with served.session() as session:
            health = session.get(f"{env['SALESFORCE_LOGIN_URL']}/_sandbox/health", timeout=5)
            assert health.json()["status"] == "ok"
            created = session.post(f"{env['HUBSPOT_BASE_URL']}/crm/x/records", json={"n": 1}, timeout=5)
            assert created.status_code == 201
        assert served.terminate() == 0
    saved = json.loads((state / "state.json").read_text())
    assert saved["hubspot"]["store"] == {created.json()["id"]: {"n": 1}}
    ca = (state / "tls" / "ca.pem").read_bytes()

    with serve(["--port", "0", "--state-dir", str(state)]) as again:
        assert (state / "tls" / "ca.pem").read_bytes() == ca  # a persisted state dir keeps its CA
        with again.session() as session:
            url = f"{again.env['HUBSPOT_BASE_URL']}/crm/x/records/{created.json()['id']}"
            assert session.get(url, timeout=5).json() == {"n": 1}
        assert again.terminate() == 0


def test_serve_without_state_dir_uses_temporary_certs() -> None:
    with serve(["--port", "0", "--latency-ms", "1"]) as served:
        ca = Path(served.env["CRM_SYNC_CA_BUNDLE"])
        assert ca.exists()
        with served.session() as session:
            assert (
                session.get(f"{served.env['SALESFORCE_LOGIN_URL']}/services/x", timeout=5).status_code == 200
            )
        served.proc.send_signal(signal.SIGINT)
        assert served.proc.wait(timeout=10) == 0
    assert not ca.exists()


def test_busy_port_exits_2(tmp_path: Path) -> None:
    with serve(["--port", "0"]) as first:
        port = first.env["SALESFORCE_LOGIN_URL"].rsplit(":", 1)[1]
        result = subprocess.run(
            [sys.executable, "-c", FAKE_SERVE, str(TESTS_DIR), "serve", "--smtp-port", "0", "--port", port],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert result.returncode == 2 and "cannot listen" in result.stderr
        assert first.terminate() == 0


def test_module_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "frobnicate"], cwd=ROOT, capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 2 and "usage" in result.stderr


def test_export_lines_quote_values() -> None:
    assert export_lines({"A": "plain", "B": "it's $x"}) == ["export A=plain", "export B='it'\"'\"'s $x'"]


@pytest.mark.skipif(not emulators_available(), reason="real emulators not importable yet")
def test_python_m_sandbox_serve_with_real_emulators(tmp_path: Path) -> None:
    with serve(["--port", "0", "--state-dir", str(tmp_path)], fake=False) as served:
        assert list(served.env) == NAMES
        with served.session() as session:
            assert session.get(f"{served.env['SALESFORCE_LOGIN_URL']}/_sandbox/health", timeout=5).ok
        assert served.terminate() == 0
    assert (tmp_path / "state.json").exists()
