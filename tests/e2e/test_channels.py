"""End to end over the served sandbox (HTTPS emulators, the SMTP server with STARTTLS and AUTH, the chat
webhooks) with the project's own config.yaml: staff notices by SMTP and chat, the contact's email by SMTP
logged on the HubSpot ticket, no contact created for staff, a worker killed between the SMTP server's
acceptance and the ledger commit, and SMTP and webhook faults retried without loss."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.app import Sandbox
from sandbox.demo_data import DemoSummary, seed_demo
from sandbox.serve import channel_env
from sandbox.server import SERVER_FILE, SandboxServer
from sandbox.smtp import SandboxSmtpServer
from sync.channels.smtp import SmtpOutlet
from sync.store.tables import LedgerAction
from sync.wiring import open_worker

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config.yaml"
pytestmark = pytest.mark.e2e

INTRO = "Following up on your feedback"
NOTICE = "NPS detractor ticket needs follow-up"


class Killed(BaseException):
    """The worker process dying (SIGKILL): nothing after it runs, no handler records anything."""


@dataclass
class World:
    box: Sandbox
    summary: DemoSummary
    url: str
    ca: str
    database: Path
    clock: list[datetime]

    def now(self) -> datetime:
        return self.clock[0]

    def cycle(self, backfill: bool = False) -> Any:
        with open_worker(CONFIG, backfill=backfill, clock=self.now) as worker:
            return worker.engine.run_cycle()

    def later(self, minutes: int) -> None:
        self.clock[0] += timedelta(minutes=minutes)

    def actions(self, kind: str | None = None) -> list[LedgerAction]:
        with open_worker(CONFIG, dry_run=True) as worker, worker.store.transaction() as tx:
            return [a for a in tx.ledger.find(kind=kind) if a.record_key.startswith("hubspot.")]

    def hubspot(self, object_type: str, *properties: str, associations: str = "") -> list[dict[str, Any]]:
        session = requests.Session()
        session.trust_env = False
        params = {"limit": "100", "properties": ",".join(properties)}
        if associations:
            params["associations"] = associations
        token = self.box.credentials().hubspot_access_token
        answer = session.get(
            f"{self.url}/crm/v3/objects/{object_type}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            verify=self.ca,
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()["results"]  # type: ignore[no-any-return]

    def emails(self, subject: str) -> list[dict[str, Any]]:
        return [e for e in self.box.emails() if e["subject"].startswith(subject)]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    box = Sandbox()
    summary = seed_demo(box, datetime.now(UTC))
    server = SandboxServer(box, tls_dir=tmp_path / "tls")
    smtp = SandboxSmtpServer(box, "127.0.0.1", 0, tmp_path / "tls" / SERVER_FILE)
    with server, smtp:
        database = tmp_path / "crm-sync.db"
        env = {
            **box.client_env(server.url, server.ca_bundle),
            **channel_env(server.url, smtp.env()),
            "CRM_SYNC_DATABASE_URL": f"sqlite:///{database}",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield World(box, summary, server.url, str(server.ca_bundle), database, [datetime.now(UTC)])


def detractors(world: World) -> set[str]:
    return {sid for raw, sid in world.summary.nps.items() if raw.strip().isdigit() and int(raw) < 7}


def test_staff_notices_go_by_smtp_and_chat_and_the_contact_email_is_logged_on_the_ticket(
    world: World,
) -> None:
    contacts_before = {c["properties"].get("email") for c in world.hubspot("contacts", "email")}
    report = world.cycle(backfill=True)
    assert report.ok, report.errors
    wanted = detractors(world)
    assert wanted

    notices = world.emails(NOTICE)
    assert {e["source"] for e in notices} == {"smtp"}
    assert {e["related_id"] for e in notices} == wanted
    intro = world.emails(INTRO)
    assert {e["source"] for e in intro} == {"smtp"} and {e["related_id"] for e in intro} == wanted
    assert all(e["message_id"].startswith("<cs-") for e in [*notices, *intro])
    assert not [e for e in world.box.emails() if e["source"] == "hubspot"], "no transactional send"

    chat = [m for m in world.box.chat_messages() if m["service"] == "slack"]
    assert {m["room"] for m in chat} == {"cs-alerts"} and len(chat) == len(wanted)
    assert all(NOTICE in m["text"] and "https://app.hubspot.com/contacts/" in m["text"] for m in chat)

    # Staff were emailed without ever becoming HubSpot contacts.
    staff = {address for e in notices for address in e["to"]}
    contacts_after = {c["properties"].get("email") for c in world.hubspot("contacts", "email")}
    assert contacts_after == contacts_before and not staff & contacts_after

    # The intro email is on the timeline: one email engagement per detractor, on its ticket and contact.
    logged = [
        e
        for e in world.hubspot("emails", "hs_email_subject", "hs_email_text", associations="tickets,contacts")
        if e["properties"].get("hs_email_subject") == INTRO
    ]
    assert len(logged) == len(wanted)
    for engagement in logged:
        links = engagement.get("associations", {})
        assert links.get("tickets", {}).get("results") and links.get("contacts", {}).get("results")
    assert {a.status for a in world.actions("log_email")} == {"delivered"}

    # Nothing is sent, posted or logged twice by the next cycle.
    posted = len(world.box.chat_messages())
    world.later(5)
    assert world.cycle().ok
    assert len(world.emails(INTRO)) == len(wanted) and len(world.emails(NOTICE)) == len(notices)
    assert len(world.box.chat_messages()) == posted


def test_a_worker_killed_between_the_smtp_acceptance_and_the_ledger_commit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = SmtpOutlet.deliver

    def accepted_then_killed(self: SmtpOutlet, actions: Any) -> Any:
        original(self, actions)  # the server took every message...
        raise Killed()  # ...and the worker dies before the ledger hears of it

    monkeypatch.setattr(SmtpOutlet, "deliver", accepted_then_killed)
    with pytest.raises(Killed):
        world.cycle(backfill=True)
    sent = world.emails(INTRO)
    wanted = detractors(world)
    assert {e["related_id"] for e in sent} == wanted
    tried = [a for a in world.actions("send_email")]
    assert tried and all(a.attempted_at is not None and a.status == "pending" for a in tried)

    monkeypatch.setattr(SmtpOutlet, "deliver", original)
    world.later(5)
    assert world.cycle().ok
    # The documented window: the resend is the same message (same Message-ID), delivered once more...
    again = world.emails(INTRO)
    assert len(again) == 2 * len(wanted)
    assert {e["message_id"] for e in again} == {e["message_id"] for e in sent}
    # ...while the ledger, the CRM log and the chat hold each once.
    assert {a.status for a in world.actions("send_email")} == {"delivered"}
    logged = [
        e
        for e in world.hubspot("emails", "hs_email_subject")
        if e["properties"].get("hs_email_subject") == INTRO
    ]
    assert len(logged) == len(wanted)


def test_smtp_and_webhook_faults_are_retried_without_loss(world: World) -> None:
    world.box.add_fault({"crm": "smtp", "status": 451, "body": "4.7.1 greylisted, try again later"})
    world.box.add_fault({"crm": "smtp", "drop": True})
    world.box.add_fault({"crm": "chat", "status": 429, "headers": {"Retry-After": "0"}})
    world.box.add_fault({"crm": "chat", "status": 503, "times": 1})
    report = world.cycle(backfill=True)
    assert report.ok
    failed = [a for a in world.actions() if a.status == "retrying"]
    errors = " | ".join(a.last_error or "" for a in failed)
    assert "451 4.7.1 greylisted" in errors and "SMTPServerDisconnected" in errors and "503" in errors
    assert world.box.faults() == []

    for _ in range(4):
        world.later(120)
        world.cycle()
    wanted = detractors(world)
    assert {e["related_id"] for e in world.emails(INTRO)} == wanted
    assert len(world.emails(INTRO)) == len(wanted)
    assert len([m for m in world.box.chat_messages() if m["service"] == "slack"]) == len(wanted)
    statuses = {a.status for a in world.actions() if a.kind in ("send_email", "notify", "log_email")}
    assert statuses == {"delivered"}


def test_a_permanent_smtp_rejection_dead_letters_that_email_with_the_server_reply(world: World) -> None:
    world.box.add_fault(
        {"crm": "smtp", "status": 550, "body": "5.1.1 <nobody@example.com>: mailbox unavailable"}
    )
    assert world.cycle(backfill=True).ok
    (dead,) = [a for a in world.actions() if a.status == "dead"]
    assert dead.kind in ("send_email", "notify") and dead.attempts == 1
    assert "rejected the email: 550 5.1.1 <nobody@example.com>: mailbox unavailable" in (
        dead.last_error or ""
    )
