"""The command line as users and cron run it: exit codes, the lock, status, retry, the daemon."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.cli import main
from sync.connectors.registry import load_config
from sync.lock import LockHeld, worker_lock
from sync.wiring import open_database

NO_RULES = "rules: []\nschedule: {interval: 1s}\n"


def run_cli(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_run_once_with_nothing_to_do_succeeds(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(NO_RULES)
    assert main(["run", "--once", "-c", str(config)]) == 0
    assert "cycle ok" in capsys.readouterr().out
    assert main(["run", "--once", "--now", "yesterday", "-c", str(config)]) == 2


def test_run_needs_once(write_config: Callable[..., Path]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", "-c", str(write_config(NO_RULES))])
    assert info.value.code == 2


def test_a_second_instance_exits_75(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(NO_RULES)
    engine = open_database(load_config(config))
    with worker_lock(engine):
        assert main(["run", "--once", "-c", str(config)]) == 75
        assert "another crm-sync is running" in capsys.readouterr().err
        with pytest.raises(LockHeld), worker_lock(engine):
            pass
    assert main(["run", "--once", "-c", str(config)]) == 0


def test_a_killed_holder_leaves_no_lock_behind(write_config: Callable[..., Path], tmp_path: Path) -> None:
    config = write_config(NO_RULES)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from sync.connectors.registry import load_config\n"
            "from sync.lock import worker_lock\n"
            "from sync.wiring import open_database\n"
            f"with worker_lock(open_database(load_config({str(config)!r}))):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    assert main(["run", "--once", "-c", str(config)]) == 75
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert main(["run", "--once", "-c", str(config)]) == 0


@pytest.mark.postgres
def test_postgres_lock_is_exclusive_and_released(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    with worker_lock(engine):
        other = sa.create_engine(postgres_url)
        with pytest.raises(LockHeld), worker_lock(other):
            pass
        other.dispose()
    with worker_lock(engine):
        pass
    engine.dispose()


def test_status_and_retry(write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(NO_RULES)
    assert main(["run", "--once", "-c", str(config)]) == 0
    capsys.readouterr()
    assert main(["status", "--json", "-c", str(config)]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["runs"][0]["status"] == "ok" and status["pending_timers"]["count"] == 0
    assert status["daemons"] == [] and status["worker_running"] is False
    assert main(["status", "-c", str(config)]) == 0
    assert "Next timers (0 pending)" in capsys.readouterr().out
    assert main(["retry", "--dead", "-c", str(config)]) == 0
    assert "re-queued 0" in capsys.readouterr().out


def test_invalid_config_is_exit_2_for_every_command(write_config: Callable[..., Path]) -> None:
    config = write_config("rules: 7\n")
    for command in (["validate"], ["run", "--once"], ["status"], ["retry"], ["daemon"]):
        assert main([*command, "-c", str(config)]) == 2


def test_daemon_runs_cycles_holds_the_lock_and_stops_on_sigterm(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    config = write_config(NO_RULES)
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    daemon = subprocess.Popen(
        [sys.executable, "-m", "sync", "daemon", "-c", str(config)],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        db = sa.create_engine(f"sqlite:///{tmp_path / 'state.db'}")
        deadline = time.monotonic() + 30
        runs = 0
        while time.monotonic() < deadline and runs < 2:
            time.sleep(0.3)
            try:
                with db.connect() as connection:
                    runs = (
                        connection.execute(
                            sa.text("SELECT COUNT(*) FROM runs WHERE mode = 'daemon'")
                        ).scalar()
                        or 0
                    )
            except sa.exc.OperationalError:
                continue
        assert runs >= 2, "the daemon should run a cycle every second"
        assert run_cli("run", "--once", "-c", str(config), cwd=tmp_path).returncode == 75
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, stderr
    assert run_cli("run", "--once", "-c", str(config), cwd=tmp_path).returncode == 0


RULE = """
rules:
  - id: alert
    source: salesforce.sli
    actions:
      - notify: {to: [owner], subject: "SLI {{ record.Name }}", template: alert}
"""


def test_an_unexpected_adapter_failure_is_exit_1_and_a_failed_run(
    write_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.fakes import FakeCRM

    crm = FakeCRM(poll_error=RuntimeError("the adapter has a bug"))
    monkeypatch.setattr("sync.wiring.build_connectors", lambda ruleset, clock: {"salesforce": crm})
    config = write_config(RULE)
    assert main(["run", "--once", "-c", str(config)]) == 1
    assert "salesforce.sli: polling failed: RuntimeError: the adapter has a bug" in capsys.readouterr().err
    assert main(["status", "--json", "-c", str(config)]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert run["status"] == "failed" and "the adapter has a bug" in run["error"]


def test_an_adapter_that_cannot_poll_a_stream_is_a_located_config_error(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        """
        hubspot:
          access_token: pat-x
          streams:
            nps:
              object: feedback_submissions
              where: "hs_survey_type IN (NPS, CSAT)"
              fields: [hs_value, company.owner.email]
        rules:
          - id: t
            source: hubspot.nps
            actions:
              - notify: {to: [someone@example.com], subject: x, template: plain}
        """,
        templates={"plain.txt": "A detractor"},
    )
    assert main(["validate", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1) if text.strip() == "nps:")
    assert f"{config}:{line}:5: hubspot.streams.nps:" in err


def test_a_cycle_whose_worker_was_killed_shows_as_interrupted(
    write_config: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from sync.store.transaction import Store

    config = write_config(NO_RULES)
    assert main(["run", "--once", "-c", str(config)]) == 0
    store = Store(open_database(load_config(config)))
    with store.transaction() as tx:  # as a worker SIGKILLed in the middle of its cycle leaves it
        tx.runs.start(datetime.now(UTC), "once", datetime.now(UTC))
    store.close()
    capsys.readouterr()
    assert main(["status", "--json", "-c", str(config)]) == 0
    status = json.loads(capsys.readouterr().out)  # no worker holds the lock: that cycle's worker is gone
    assert [r["status"] for r in status["runs"]][:2] == ["interrupted", "ok"]
    assert status["interrupted_runs"] == [status["runs"][0]["id"]]
    assert main(["run", "--once", "-c", str(config)]) == 0  # the next worker takes the lock: it knows
    capsys.readouterr()
    assert main(["status", "--json", "-c", str(config)]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]
    assert [r["status"] for r in runs][:3] == ["ok", "interrupted", "ok"]
    assert "stopped before this cycle finished" in runs[1]["error"]
