"""Transactional sends are queued: sent, then confirmed, found bounced, or unconfirmed, a bounded number of
status reads a cycle."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from rules.model import RuleSet
from sandbox.testing import SandboxHandle
from sync.connectors.hubspot import HubSpotConnector
from sync.connectors.registry import load_config
from sync.engine import Engine
from sync.status import collect_status, format_status
from sync.store.database import create_store_engine
from sync.store.transaction import Store
from tests.hubspot.conftest import CONFIG, T0, Portal, owed
from tests.hubspot.test_delivery import email_payload
from tests.support import Clock

STATUS_READS = "/marketing/v3/email/send-statuses/"


@pytest.fixture
def ruleset(sandbox_server: SandboxHandle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> RuleSet:
    """The reference config with its emails sent through HubSpot (``channel: crm``, a portal with the
    Transactional Email add-on): the sends these tests follow."""
    for name, value in sandbox_server.client_env().items():
        monkeypatch.setenv(name, value)
    text = CONFIG.read_text().replace("channel: smtp", "channel: crm")
    text = text.replace("templates: templates", f"templates: {CONFIG.parent / 'templates'}")
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return load_config(path)


def detractors(portal: Portal, hubspot: Any, emails: list[str]) -> None:
    """One detractor per address (each costs one customer email and two notifications)."""
    analyst = portal.analyst()
    hubspot.seed_owner("manager@example.com", "Mia", "Manager", ["Customer Success Managers"])
    for email in emails:
        portal.submission(portal.customer(analyst, email=email), 3, modified=T0)


def make_engine(ruleset: RuleSet, connector: HubSpotConnector, tmp_path: Path) -> tuple[Engine, Store, Clock]:
    store = Store(create_store_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    store.migrate()
    clock = Clock(T0)
    return Engine(ruleset, store, {"hubspot": connector}, rules_clock=clock, wall_clock=clock), store, clock


def statuses(store: Store) -> dict[str, str]:
    with store.transaction() as tx:
        return {a.key: a.status for a in tx.ledger.find(kind="send_email")}


def status_reads(sandbox_server: SandboxHandle) -> int:
    return sum(1 for r in sandbox_server.sandbox.requests() if r["path"].startswith(STATUS_READS))


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ("PREVIOUSLY_BOUNCED", "bounced before"),
        ("INVALID_TO_ADDRESS", "invalid"),
        ("BLOCKED_ADDRESS", "blocked"),
    ],
)
def test_a_send_that_does_not_go_out_ends_dead_with_its_reason_in_status(
    ruleset: RuleSet,
    connector: HubSpotConnector,
    portal: Portal,
    hubspot: Any,
    sandbox_server: SandboxHandle,
    tmp_path: Path,
    result: str,
    reason: str,
) -> None:
    detractors(portal, hubspot, ["gone@client.example", "fine@client.example"])
    hubspot.send_results({"gone@client.example": result})
    engine, store, clock = make_engine(ruleset, connector, tmp_path)

    engine.run_cycle()
    assert set(statuses(store).values()) == {"sent"}  # queued by HubSpot: not delivered yet
    clock.advance(minutes=5)
    report = engine.run_cycle()

    with store.transaction() as tx:
        emails = {a.payload["to"]["email"]: a for a in tx.ledger.find(kind="send_email")}
        status = collect_status(tx)
        shown = format_status(status)
    assert emails["fine@client.example"].status == "delivered"
    dead = emails["gone@client.example"]
    assert dead.status == "dead" and result in (dead.last_error or "") and reason in (dead.last_error or "")
    assert dead.crm_id  # the statusId stays, to look the send up
    assert [(a["key"], a["attempts"]) for a in status["actions"]["dead"]] == [(dead.key, 1)]
    assert "Dead actions (1)" in shown and result in shown
    assert report.delivery.counts["dead"] == 1
    assert [e["to"] for e in sandbox_server.sandbox.emails() if e["to"] == ["gone@client.example"]] == []


def test_a_send_with_no_final_status_after_the_timeout_is_unconfirmed(
    ruleset: RuleSet,
    connector: HubSpotConnector,
    portal: Portal,
    hubspot: Any,
    sandbox_server: SandboxHandle,
    tmp_path: Path,
) -> None:
    detractors(portal, hubspot, ["slow@client.example"])
    hubspot.send_results({}, pending=timedelta(days=30))  # HubSpot never gets round to them
    engine, store, clock = make_engine(ruleset, connector, tmp_path)
    engine.run_cycle()
    clock.advance(hours=23)
    engine.run_cycle()
    assert set(statuses(store).values()) == {"sent"}  # still pending, within hubspot.send_status_timeout

    clock.advance(hours=2)
    engine.run_cycle()

    with store.transaction() as tx:
        [email] = tx.ledger.find(kind="send_email")
        status = collect_status(tx)
        shown = format_status(status)
    assert email.status == "unconfirmed" and "PENDING" in (email.last_error or "")
    assert email.key in [a["key"] for a in status["actions"]["unconfirmed"]]
    assert "Unconfirmed sends" in shown and str(email.crm_id) in shown


def test_status_reads_are_bounded_per_cycle_and_reach_every_send(
    ruleset: RuleSet,
    make_connector: Any,
    settings: Any,
    portal: Portal,
    hubspot: Any,
    sandbox_server: SandboxHandle,
    tmp_path: Path,
) -> None:
    """Nine sends, four status reads a cycle: the sends checked longest ago go first, so all are
    confirmed in three cycles, never a read per email per cycle."""
    detractors(portal, hubspot, [f"c{n}@client.example" for n in range(3)])
    connector = make_connector(settings=settings.model_copy(update={"status_checks_per_cycle": 4}))
    engine, store, clock = make_engine(ruleset, connector, tmp_path)
    engine.run_cycle()
    with store.transaction() as tx:
        sent = [a for a in tx.ledger.find() if a.status == "sent"]
    assert len(sent) == 9 and status_reads(sandbox_server) == 0

    reads = []
    for _ in range(3):
        clock.advance(minutes=5)
        before = status_reads(sandbox_server)
        engine.run_cycle()
        reads.append(status_reads(sandbox_server) - before)

    assert reads == [4, 4, 1]
    with store.transaction() as tx:  # (the chat notices wait for a chat outlet this engine lacks)
        assert {a.status for a in tx.ledger.find() if a.target == "hubspot"} == {"delivered"}


def test_retry_dead_sends_a_bounced_email_again_under_its_send_id_and_it_stays_dead(
    ruleset: RuleSet,
    connector: HubSpotConnector,
    portal: Portal,
    hubspot: Any,
    sandbox_server: SandboxHandle,
    tmp_path: Path,
) -> None:
    """HubSpot sends at most one email per sendId: a re-queued bounce is not sent, nor taken for sent."""
    detractors(portal, hubspot, ["gone@client.example"])
    hubspot.send_results({"gone@client.example": "PREVIOUSLY_BOUNCED"})
    engine, store, clock = make_engine(ruleset, connector, tmp_path)
    engine.run_cycle()
    clock.advance(minutes=5)
    engine.run_cycle()
    with store.transaction() as tx:
        assert tx.ledger.requeue(clock(), include_dead=True) == 1

    for _ in range(2):
        clock.advance(minutes=5)
        engine.run_cycle()

    with store.transaction() as tx:
        [email] = tx.ledger.find(kind="send_email")
    assert email.status == "dead" and "IDEMPOTENT_FAIL" in (email.last_error or "")
    assert [e for e in sandbox_server.sandbox.emails() if e["to"] == ["gone@client.example"]] == []


def test_a_send_answered_with_a_final_status_is_decided_at_once(
    connector: HubSpotConnector, portal: Portal, sandbox_server: SandboxHandle
) -> None:
    """A send answer that is already COMPLETE needs no status read: SENT is delivered, a failure dead."""
    sid = portal.submission(portal.customer())
    for result in ("PREVIOUSLY_BOUNCED", "SENT"):
        body = {"status": "COMPLETE", "sendResult": result, "statusId": f"s-{result}"}
        sandbox_server.sandbox.add_fault(
            {"crm": "hubspot", "path_regex": "single-email/send", "status": 200, "body": body}
        )
    bounced, sent = connector.deliver(
        [owed("notify", sid, email_payload(f"{n}@example.com"), n=n) for n in (1, 2)]
    )

    assert (bounced.status, bounced.retryable) == ("failed", False)
    assert "PREVIOUSLY_BOUNCED" in str(bounced.error)
    assert (sent.status, sent.crm_id) == ("delivered", "s-SENT")
