"""``crm-sync status`` read at a glance: cursors as times with ages, runs with outcome and duration,
dead actions with the command that retries them, who is active and who stands by."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sync.ops.status_view import age, status_text
from sync.status import add_processes
from tests.support import T0


def _status() -> dict[str, Any]:
    earlier = (T0 - timedelta(minutes=7)).isoformat()
    return {
        "cursors": [
            {
                "stream": "salesforce.sli",
                "cursor": {"modified": (T0 - timedelta(hours=2)).isoformat(), "id": "a0X000000000001"},
                "updated_at": earlier,
            }
        ],
        "runs": [
            {"id": 9, "mode": "daemon", "status": "running", "started_at": T0.isoformat(), "finished_at": None,
             "summary": None, "error": None},
            {"id": 8, "mode": "daemon", "status": "ok", "started_at": earlier,
             "finished_at": (T0 - timedelta(minutes=7) + timedelta(seconds=3)).isoformat(),
             "summary": {"polled": {"salesforce.sli": 4}, "planned": 2, "delivery": {"delivered": 1, "dead": 1}},
             "error": None},
        ],
        "pending_timers": {"count": 1, "next": [
            {"due_at": (T0 + timedelta(hours=3)).isoformat(), "rule": "sli-reminder", "record": "salesforce.sli:a0X1"}
        ]},
        "actions": {
            "counts": {"delivered": 1, "dead": 1},
            "retrying": [],
            "dead": [{"key": "sli-alert:salesforce.sli:a0X1:0:email", "kind": "email", "target": "salesforce",
                      "attempts": 1, "next_attempt_at": None, "error": "INVALID_EMAIL_ADDRESS: bad@"}],
        },
        "rejected_records": [],
        "notices": [],
    }


def test_ages_read_naturally() -> None:
    assert age(T0 - timedelta(minutes=3), T0) == "3m ago"
    assert age(T0 + timedelta(hours=2, minutes=5), T0) == "in 2h"
    assert age(T0 - timedelta(days=5), T0) == "5d ago"
    assert age(T0 - timedelta(seconds=4), T0) == "4s ago"


def test_the_status_tables() -> None:
    holders = [
        {"role": "active", "name": "host-a:101", "since": T0 - timedelta(hours=1), "holds_lock": True},
        {"role": "standby", "name": "host-b:202", "since": T0 - timedelta(minutes=30), "holds_lock": False},
    ]
    status = add_processes(_status(), holders, "/etc/crm-sync/config.yaml")
    text = status_text(status, T0, width=220)
    assert "modified 2026" in text and "(2h ago)" in text and "id a0X000000000001" in text
    assert "(7m ago)" in text  # the cursor's update, and the last finished run
    assert "host-a:101" in text and "host-b:202" in text and "standby" in text
    assert "3.0s" in text and "dead 1, delivered 1" in text
    assert "(in 3h)" in text and "sli-reminder" in text
    assert "INVALID_EMAIL_ADDRESS" in text
    assert "crm-sync retry --dead -c /etc/crm-sync/config.yaml" in text
    assert "running" in text  # a worker holds the lock: the run is really under way
    assert "\x1b[" not in text  # no colour codes off a terminal


def test_a_run_left_running_without_a_worker_reads_interrupted_and_json_keys_are_stable() -> None:
    status = add_processes(_status(), [], "config.yaml")
    assert status["worker_running"] is False and status["daemons"] == []
    assert status["runs"][0]["status"] == "interrupted" and status["interrupted_runs"] == [9]
    assert set(status) == {
        "cursors", "runs", "pending_timers", "actions", "rejected_records", "notices",
        "daemons", "worker_running", "interrupted_runs", "retry_dead_command",
    }
    text = status_text(status, T0)
    assert "interrupted" in text and "no crm-sync is running" in text


def test_an_empty_store_says_so() -> None:
    empty = {
        "cursors": [], "runs": [], "pending_timers": {"count": 0, "next": []},
        "actions": {"counts": {}, "retrying": [], "dead": []}, "rejected_records": [], "notices": [],
    }
    text = status_text(add_processes(empty, [], "config.yaml"), T0)
    assert "no stream polled yet" in text and "never ran" in text and "(none yet)" not in text


def test_piped_status_is_laid_out_wide_enough_to_keep_keys_whole(capsys: Any) -> None:
    """Off a terminal rich would lay tables out at 80 columns, cutting action keys over three lines."""
    from sync.ops.status_view import print_status

    print_status(add_processes(_status(), [], "config.yaml"), T0)
    out = capsys.readouterr().out
    assert "sli-alert:salesforce.sli:a0X1:0:email" in out
    assert max(len(line) for line in out.splitlines()) > 80
