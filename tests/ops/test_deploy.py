"""The files in deploy/: the systemd units pass ``systemd-analyze verify`` (where it exists) and are
hardened, the cron line's command runs a cycle, the sysusers entry makes the user, and the container
image is non-root and built from files that exist."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALLED = "/opt/crm-sync/.venv/bin/crm-sync"
HARDENING = {
    "User": "crm-sync",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "EnvironmentFile": "/etc/crm-sync/crm-sync.env",
    "CapabilityBoundingSet": "",
}


def _settings(unit: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), value.strip())
    return found


def _here(text: str) -> str:
    """A deploy file with the installed crm-sync replaced by the one running these tests."""
    return text.replace(INSTALLED, str(Path(sys.executable).with_name("crm-sync")))


@pytest.mark.parametrize("name", ["crm-sync.service", "crm-sync-once.service"])
def test_the_units_are_hardened(name: str) -> None:
    settings = _settings(DEPLOY / name)
    for key, value in HARDENING.items():
        assert settings.get(key) == value, key
    assert settings["ExecStart"].startswith(INSTALLED)
    assert "StateDirectory" in settings


def test_the_daemon_unit_reloads_with_sighup_and_waits_for_the_action_in_flight() -> None:
    settings = _settings(DEPLOY / "crm-sync.service")
    assert settings["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert int(settings["TimeoutStopSec"]) > 30  # above schedule.stop_timeout's default
    assert settings["RestartPreventExitStatus"] == "2 78"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    for name in ("crm-sync.service", "crm-sync-once.service", "crm-sync-once.timer"):
        (tmp_path / name).write_text(_here((DEPLOY / name).read_text()))
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / n) for n in ("crm-sync.service", "crm-sync-once.service",
                                                                    "crm-sync-once.timer"))],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "crm-sync" not in result.stderr, result.stderr  # no warning about our units


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="systemd-sysusers is not installed")
def test_sysusers_creates_the_dedicated_user(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    conf = DEPLOY / "sysusers.d" / "crm-sync.conf"
    result = subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", str(conf)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    (entry,) = [line for line in (tmp_path / "etc" / "passwd").read_text().splitlines() if line.startswith("crm-sync:")]
    assert entry.endswith(":/var/lib/crm-sync:/usr/sbin/nologin")


def test_the_cron_line_runs_a_cycle(tmp_path: Path) -> None:
    lines = [x for x in (DEPLOY / "crm-sync.cron").read_text().splitlines() if re.match(r"^[*\d]", x)]
    (line,) = lines
    fields = line.split(None, 6)
    assert fields[:5] == ["*/5", "*", "*", "*", "*"] and fields[5] == "crm-sync"
    etc, logs = tmp_path / "etc", tmp_path / "log"
    etc.mkdir()
    logs.mkdir()
    (etc / "templates").mkdir()
    (etc / "config.yaml").write_text("rules: []\nschedule: {interval: 5m}\n")
    example = (DEPLOY / "crm-sync.env.example").read_text()
    database = tmp_path / "state" / "crm-sync.db"
    database.parent.mkdir()
    env_file = re.sub(r"(?m)^CRM_SYNC_DATABASE_URL=.*$", f"CRM_SYNC_DATABASE_URL=sqlite:///{database}", example, count=1)
    (etc / "crm-sync.env").write_text(env_file)
    command = _here(fields[6]).replace("/etc/crm-sync", str(etc)).replace("/var/log/crm-sync", str(logs))
    for _ in range(2):
        result = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr + (logs / "crm-sync.log").read_text()
    with sqlite3.connect(database) as db:
        assert [row[0] for row in db.execute("SELECT status FROM runs ORDER BY id")] == ["ok", "ok"]
    assert "CHANGE-ME" not in (logs / "crm-sync.log").read_text()


def test_the_timer_starts_the_run_once_service_every_five_minutes() -> None:
    settings = _settings(DEPLOY / "crm-sync-once.timer")
    assert settings["OnCalendar"] == "*:0/5" and settings["Unit"] == "crm-sync-once.service"
    assert _settings(DEPLOY / "crm-sync-once.service")["SuccessExitStatus"] == "75"


def test_the_container_image_runs_as_a_user_from_files_that_exist() -> None:
    text = (DEPLOY / "Containerfile").read_text()
    users = re.findall(r"(?m)^USER\s+(\S+)", text)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    for source in re.findall(r"(?m)^COPY (?!--from)(.+) \S+$", text):
        for path in source.split():
            assert (ROOT / path).exists(), path
    assert "--read-only" in text and "HEALTHCHECK" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "*.db", "*.env"} <= set(ignored)
