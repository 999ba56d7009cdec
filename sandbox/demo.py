"""``make demo``: the worker against the local sandbox, end to end, over HTTPS with the real clients.

Starts the sandbox on a free port (and its SMTP server on another), seeds a small realistic org and
portal, then runs ``crm-sync run --once`` (the real command, reading the project's ``config.yaml`` and
the variables ``sandbox serve`` prints) four times: now, and with the rules' clock set a day, 15 days and 31 days ahead, printing after
each cycle what crm-sync did in each CRM. Ends with ``crm-sync status``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.app import Sandbox
from sandbox.demo_data import seed_demo
from sandbox.serve import channel_env
from sandbox.server import SERVER_FILE, SandboxServer
from sandbox.smtp import SandboxSmtpServer


def _counts(sandbox: Sandbox) -> dict[str, int]:
    return {
        "emails": len(sandbox.emails()),
        "chat": len(sandbox.chat_messages()),
        "hs_logs": len(sandbox.hubspot.objects("emails")),
        "requests": len(sandbox.requests()),
        "tasks": len(sandbox.salesforce.records("Task")),
        "posts": len(sandbox.salesforce.records("FeedItem")),
        "tickets": len(sandbox.hubspot.objects("tickets")),
        "hs_tasks": len(sandbox.hubspot.objects("tasks")),
    }


def _show_changes(sandbox: Sandbox, before: dict[str, int]) -> None:
    emails = sandbox.emails()[before["emails"] :]
    requests = sandbox.requests()[before["requests"] :]
    by_crm: dict[str, int] = {}
    for request in requests:
        by_crm[str(request["crm"])] = by_crm.get(str(request["crm"]), 0) + 1
    print(f"  API requests: {', '.join(f'{k} {v}' for k, v in sorted(by_crm.items())) or 'none'}")
    by_channel: dict[str, int] = {}
    for email in emails:
        by_channel[str(email["source"])] = by_channel.get(str(email["source"]), 0) + 1
    channels = ", ".join(f"{source} {count}" for source, count in sorted(by_channel.items()))
    print(f"  emails sent: {len(emails)}" + (f" (by {channels})" if channels else ""))
    for email in emails[:40]:
        print(f"    [{email['source']}] to {', '.join(email['to'])}: {email['subject']}")
    if len(emails) > 40:
        print(f"    ... and {len(emails) - 40} more")
    chat = sandbox.chat_messages()[before["chat"] :]
    if chat:
        print(f"  chat messages: {len(chat)}")
        for message in chat[:12]:
            print(f"    [{message['service']} #{message['room']}] {message['text'].splitlines()[0]}")
    logged = sandbox.hubspot.objects("emails")[before["hs_logs"] :]
    if logged:
        print(f"  emails logged on HubSpot tickets: {len(logged)}")
    for label, rows, text in (
        (
            "Salesforce Tasks",
            sandbox.salesforce.records("Task")[before["tasks"] :],
            lambda r: f"{r['Subject']} (due {r.get('ActivityDate')})",
        ),
        (
            "Chatter posts",
            sandbox.salesforce.records("FeedItem")[before["posts"] :],
            lambda r: r["Body"][:140],
        ),
        (
            "HubSpot tickets",
            sandbox.hubspot.objects("tickets")[before["tickets"] :],
            lambda r: r["properties"].get("subject"),
        ),
        (
            "HubSpot tasks",
            sandbox.hubspot.objects("tasks")[before["hs_tasks"] :],
            lambda r: r["properties"].get("hs_task_subject"),
        ),
    ):
        created = [row for row in rows if not str(text(row)).startswith("Email:")]
        if created:
            print(f"  {label}: {len(created)}")
            for row in created[:12]:
                print(f"    - {text(row)}")


def _run(command: Sequence[str], env: dict[str, str]) -> int:
    result = subprocess.run([sys.executable, "-m", "sync", *command], env=env, capture_output=True, text=True)
    for line in (result.stdout + result.stderr).splitlines():
        print(f"  | {line}")
    return result.returncode


def main(argv: Sequence[str] | None = None) -> int:
    root = Path.cwd()
    config = root / "config.yaml"
    workdir = root / ".demo"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    now = datetime.now(UTC)
    sandbox = Sandbox()
    summary: Any = seed_demo(sandbox, now)
    print("Seeded the sandbox.")
    for line in summary.lines():
        print(f"  {line}")
    server = SandboxServer(sandbox, port=0, tls_dir=workdir / "tls")
    smtp = SandboxSmtpServer(sandbox, "127.0.0.1", 0, workdir / "tls" / SERVER_FILE)
    with server, smtp:
        env = {
            **os.environ,
            **sandbox.client_env(server.url, server.ca_bundle),
            **channel_env(server.url, smtp.env()),
            "CRM_SYNC_DATABASE_URL": f"sqlite:///{workdir / 'crm-sync.db'}",
        }
        print(
            f"Sandbox serving Salesforce, HubSpot and chat webhooks at {server.url}, SMTP on port {smtp.port}\n"
        )
        steps = [
            ("Cycle 1: now", None),
            (
                "Cycle 2: the rules' clock one day later (24-hour plan reminders)",
                now + timedelta(hours=25),
            ),
            ("Cycle 3: 15 days later (14-day check-ins, 48-hour escalations)", now + timedelta(days=15)),
            ("Cycle 4: 31 days later (30-day resolution deadline)", now + timedelta(days=31)),
        ]
        worst = 0
        for label, at in steps:
            print(label)
            before = _counts(sandbox)
            command = ["run", "--once", "-c", str(config)]
            if label.startswith("Cycle 1"):  # the sandbox already holds records: process them all
                command.append("--backfill")
            if at is not None:
                command += ["--now", at.isoformat()]
            worst = max(worst, _run(command, env))
            _show_changes(sandbox, before)
            print()
        print("crm-sync status:")
        _run(["status", "-c", str(config)], env)
    print(f"\nThe worker's database is {workdir / 'crm-sync.db'}; run it again with `make demo`.")
    return 0 if worst == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
