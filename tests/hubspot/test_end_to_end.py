"""The NPS detractor process through the engine, and how few requests batching needs."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from rules.model import RuleSet, Stream
from sandbox.testing import SandboxHandle
from sync.channels.registry import build_outlets
from sync.connectors.hubspot import HubSpotConnector
from sync.engine import Engine
from sync.store.database import create_store_engine
from sync.store.transaction import Store
from tests.hubspot.conftest import T0, Portal, TimedPortal, all_records, owed
from tests.hubspot.test_delivery import ticket_payload
from tests.support import Clock


def test_the_nps_detractor_process(
    ruleset: RuleSet,
    connector: HubSpotConnector,
    portal: Portal,
    hubspot: Any,
    sandbox_server: SandboxHandle,
    tmp_path: Path,
) -> None:
    analyst = portal.analyst()
    hubspot.seed_owner("manager@example.com", "Mia", "Manager", ["Customer Success Managers"])
    called, silent, quiet = (
        portal.submission(portal.customer(analyst), score, modified=T0) for score in (2, 4, 6)
    )
    portal.submission(portal.customer(analyst), 9, modified=T0)  # a promoter
    portal.submission(portal.customer(analyst), 1, survey="CSAT", modified=T0)  # not an NPS survey
    store = Store(create_store_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    store.migrate()
    clock = Clock(T0)
    outlets = build_outlets(ruleset, clock)  # the shipped config emails by SMTP and posts to chat
    engine = Engine(
        ruleset, store, {"hubspot": connector}, rules_clock=clock, wall_clock=clock, outlets=outlets
    )

    engine.run_cycle()

    tickets = {t["id"]: t for t in hubspot.objects("tickets")}
    assert len(tickets) == 3 and len(hubspot.objects("tasks")) == 3
    sent = sandbox_server.sandbox.emails()
    assert Counter(e["subject"] for e in sent) == {
        "Following up on your feedback": 3,
        # to the Customer Success Managers team (one member here) and the Customer Success lead
        **{f"NPS detractor ticket needs follow-up: score {score}": 2 for score in (2, 4, 6)},
    }
    assert {e["source"] for e in sent} == {"smtp"}
    assert len(hubspot.objects("emails")) == 3  # the customer emails, logged on their tickets
    ticket_of = {t["properties"]["nps_score"]: t["id"] for t in tickets.values()}

    hubspot.create("calls", {"hs_timestamp": "2026-03-03T10:00:00Z"}, [("tickets", ticket_of["2"])])
    clock.advance(hours=49)
    report = engine.run_cycle()
    last = engine.run_cycle()  # nothing more is owed

    escalations = [e for e in sandbox_server.sandbox.emails() if e["subject"].startswith("Escalation")]
    assert sorted(e["subject"][-3:] for e in escalations) == ["(4)", "(6)"]  # not the one with a logged call
    assert len(hubspot.objects("tasks")) == 5 and len(hubspot.objects("tickets")) == 3
    assert report.delivery.counts == {"delivered": 6}  # two emails, two Teams posts, two tasks
    teams = [m for m in sandbox_server.sandbox.chat_messages() if m["service"] == "teams"]
    assert sorted(m["text"].split("\n")[0][-3:] for m in teams) == ["(4)", "(6)"]
    assert sum(last.delivery.counts.values()) == 0
    with store.transaction() as tx:
        assert {a.status for a in tx.ledger.find()} == {"delivered"}
        snapshots = {sid: tx.records.get(f"hubspot.nps:{sid}").snapshot for sid in (called, silent, quiet)}  # type: ignore[union-attr]
    assert [snapshots[sid]["ticket"]["calls_logged"] for sid in (called, silent, quiet)] == [1, 0, 0]


def test_250_detractors_are_polled_and_ticketed_in_a_handful_of_requests(
    connector: HubSpotConnector, portal: Portal, stream: Stream, hubspot: Any, sandbox_server: SandboxHandle
) -> None:
    analysts = [portal.analyst(f"Ana{n}") for n in range(25)]
    made = [portal.submission(portal.customer(analysts[n % 25]), n % 7, modified=T0) for n in range(250)]

    records = all_records(connector.poll(stream, None))
    polled = len(sandbox_server.sandbox.requests())
    results = connector.deliver(
        [owed("create_ticket", r["id"], ticket_payload(), n=n) for n, r in enumerate(records)]
    )
    delivered = len(sandbox_server.sandbox.requests()) - polled

    assert sorted(r["id"] for r in records) == sorted(made)
    assert all(r["analyst"] is not None and r["company"] is not None for r in records)
    assert [r.status for r in results] == ["delivered"] * 250 and len(hubspot.objects("tickets")) == 250
    # Polling: two search pages, one enrichment of 250 (1,000 at most). Delivery: the pipelines, then
    # three ticket batches; nothing the poll just read is read again.
    assert (polled, delivered) == (12, 4)


def test_the_cycle_after_a_burst_re_reads_its_overlap_without_enriching_it_again(
    ruleset: RuleSet, timed_portal: TimedPortal, stream: Stream, tmp_path: Path
) -> None:
    """The engine hands the adapter what it stored: the next cycle's overlap costs search pages only."""
    portal, connector = timed_portal.portal, timed_portal.connector
    for n in range(40):
        portal.submission(portal.customer(), 9 - n % 3, modified=T0 - timedelta(minutes=3))
    store = Store(create_store_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    store.migrate()
    clock = Clock(T0)
    engine = Engine(
        ruleset, store, {"hubspot": connector}, rules_clock=clock, wall_clock=clock, backfill=True
    )
    engine.run_cycle()
    timed_portal.clock.advance(minutes=5)
    clock.advance(minutes=5)
    before = len(timed_portal.sandbox.requests())

    report = engine.run_cycle()

    paths = [r["path"] for r in timed_portal.sandbox.requests()[before:]]
    assert report.polled["hubspot.nps"] == 0 and report.unchanged["hubspot.nps"] == 0
    assert paths and all(p.endswith("/search") for p in paths), paths  # no teams read either


def test_a_date_version_calls_only_date_versioned_crm_paths(
    make_connector: Any,
    settings: Any,
    portal: Portal,
    stream: Stream,
    hubspot: Any,
    sandbox_server: SandboxHandle,
) -> None:
    """``hubspot.api_version: 2026-03``: polling, enrichment, owners, pipelines and writes all go to
    ``/crm/{area}/2026-03/...``, none to the legacy ``/crm/v3`` or ``/crm/v4`` paths."""
    analyst = portal.analyst()
    sid = portal.submission(portal.customer(analyst), 3, modified=T0)
    connector = make_connector(settings=settings.model_copy(update={"api_version": "2026-03"}))

    [record] = all_records(connector.poll(stream, None))
    [ticket] = connector.deliver([owed("create_ticket", sid, ticket_payload(analyst), n=1)])
    teams = connector.teams()

    assert record["id"] == sid and record["analyst"]["id"] == analyst["id"]
    assert ticket.status == "delivered" and hubspot.objects("tickets")[0]["id"] == ticket.crm_id
    assert [m["id"] for m in teams["Customer Success"]] == [analyst["id"]]
    crm = [r["path"] for r in sandbox_server.sandbox.requests() if r["path"].startswith("/crm/")]
    assert crm and all(p.split("/")[3] == "2026-03" for p in crm), crm
