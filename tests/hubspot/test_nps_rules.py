"""The NPS reference rules (config.yaml) end to end through the HubSpot adapter and the served sandbox,
with the rules' clock injected."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from rules.model import RuleSet
from sandbox.testing import SandboxHandle
from sync.channels.registry import build_outlets
from sync.engine import Engine
from sync.status import collect_status
from sync.store.database import create_store_engine
from sync.store.transaction import Store
from tests.hubspot.conftest import Portal
from tests.support import Clock


@dataclass
class World:
    engine: Engine
    store: Store
    clock: Clock
    portal: Portal
    hs: Any
    server: SandboxHandle

    def cycle(self) -> None:
        report = self.engine.run_cycle()
        assert report.ok, report.errors

    def tickets(self) -> list[dict[str, Any]]:
        return [t for t in self.hs.objects("tickets") if t["properties"].get("crm_sync_key")]

    def tasks(self) -> list[dict[str, Any]]:
        return self.hs.objects("tasks")

    def emails(self, subject: str = "") -> list[dict[str, Any]]:
        return [
            e
            for e in self.server.sandbox.emails()
            if e["source"] in ("hubspot", "smtp") and e["subject"].startswith(subject)
        ]

    def get(self, path: str) -> Any:
        from sandbox.core import SandboxRequest

        token = self.hs.settings.access_token
        response = self.hs.handle(
            SandboxRequest.from_url("GET", f"https://sandbox{path}", {"Authorization": f"Bearer {token}"})
        )
        assert response.status == 200, response.body
        return response.body

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        import json

        from sandbox.core import SandboxRequest

        token = self.hs.settings.access_token
        request = SandboxRequest.from_url(
            "PATCH",
            f"https://sandbox{path}",
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            json.dumps(body).encode(),
        )
        response = self.hs.handle(request)
        assert response.status == 200, response.body
        return response.body

    def associated(self, from_type: str, from_id: str, to_type: str) -> list[dict[str, Any]]:
        return list(self.get(f"/crm/v4/objects/{from_type}/{from_id}/associations/{to_type}")["results"])

    def status(self) -> dict[str, Any]:
        with self.store.transaction() as tx:
            return collect_status(tx)


@pytest.fixture
def world(
    ruleset: RuleSet,
    make_connector: Any,
    portal: Portal,
    hubspot: Any,
    sandbox_server: SandboxHandle,
    tmp_path: Path,
) -> Iterator[World]:
    nps_only = type(ruleset)(
        **{**ruleset.__dict__, "rules": tuple(r for r in ruleset.rules if r.stream.crm == "hubspot")}
    )
    clock = Clock(datetime.now(UTC))
    connector = make_connector(now=clock)
    store = Store(create_store_engine(f"sqlite:///{tmp_path / 'state.db'}"))
    store.migrate()
    outlets = build_outlets(nps_only, clock)  # the shipped config emails by SMTP and posts to chat
    engine = Engine(
        nps_only, store, {"hubspot": connector}, rules_clock=clock, wall_clock=clock, outlets=outlets
    )
    yield World(engine, store, clock, portal, hubspot, sandbox_server)
    store.close()


def team(portal: Portal, name: str, size: int) -> list[dict[str, Any]]:
    return [
        portal.hs.seed_owner(
            f"{name.lower().replace(' ', '.')}{i}@example.com", f"{name[:3]}{i}", "Member", [name]
        )
        for i in range(size)
    ]


def test_the_whole_score_scale_and_bad_values_exactly_once(world: World) -> None:
    analyst = world.portal.analyst()
    ids = {}
    for value in [*range(11), "N/A", "11", "7.5", "-1"]:
        ids[str(value)] = world.portal.submission(world.portal.customer(analyst), value)
    world.portal.submission(world.portal.customer(analyst), 2, survey="CSAT")
    world.cycle()
    scores = sorted(int(t["properties"]["nps_score"]) for t in world.tickets())
    assert scores == [0, 1, 2, 3, 4, 5, 6]
    rejected = {r["record"].split(":", 1)[1]: r["reason"] for r in world.status()["rejected_records"]}
    assert set(rejected) == {ids["N/A"], ids["11"], ids["7.5"], ids["-1"]}
    assert rejected[ids["N/A"]] == 'hs_value "N/A" is not an NPS score (an integer 0-10)'
    sent = len(world.server.sandbox.emails())
    world.clock.advance(minutes=5)
    world.cycle()
    assert len(world.tickets()) == 7 and len(world.server.sandbox.emails()) == sent


def test_detractor_ticket_intro_email_notification_and_call_task(world: World) -> None:
    analyst = world.portal.analyst("Ana", "Lyst")
    managers = team(world.portal, "Customer Success Managers", 2)
    bpas = team(world.portal, "BPA", 2)
    contact = world.portal.customer(analyst)
    sid = world.portal.submission(contact, 3, content="Claims are denied too often")
    world.cycle()
    (ticket,) = world.tickets()
    props = ticket["properties"]
    assert props["subject"].startswith("NPS detractor: Pat") and props["subject"].endswith("scored 3")
    assert (props["nps_score"], props["nps_comment"]) == ("3", "Claims are denied too often")
    assert props["hubspot_owner_id"] == str(analyst["id"])
    (pipeline,) = [
        p for p in world.get("/crm/v3/pipelines/tickets")["results"] if p["label"] == "Customer Success"
    ]
    assert props["hs_pipeline"] == pipeline["id"]
    assert props["hs_pipeline_stage"] == next(s["id"] for s in pipeline["stages"] if s["label"] == "New")
    (company,) = [a["toObjectId"] for a in world.associated("contacts", contact, "companies")]
    assert {str(a["toObjectId"]) for a in world.associated("tickets", ticket["id"], "contacts")} == {contact}
    assert {str(a["toObjectId"]) for a in world.associated("tickets", ticket["id"], "companies")} == {
        str(company)
    }
    (intro,) = world.emails("Following up on your feedback")
    (person,) = [c for c in world.hs.objects("contacts") if c["id"] == contact]
    assert intro["to"] == [person["properties"]["email"]]
    assert "I am Ana" in intro["body"]
    notifications = world.emails("NPS detractor ticket needs follow-up")
    notified = {a for e in notifications for a in e["to"]}
    assert notified == {m["email"] for m in managers + bpas} | {"customer-success-lead@example.com"}
    body = notifications[0]["body"]
    assert "Score:   3" in body and "Claims are denied too often" in body
    assert f"/record/0-1/{contact}" in body  # the link to the contact, beside whom the ticket shows
    (task,) = world.tasks()
    assert task["properties"]["hs_task_type"] == "CALL"
    assert task["properties"]["hubspot_owner_id"] == str(analyst["id"])
    due = datetime.fromisoformat(task["properties"]["hs_timestamp"].replace("Z", "+00:00"))
    assert abs(due - (world.clock() + timedelta(hours=24))) < timedelta(seconds=1)
    assert {str(a["toObjectId"]) for a in world.associated("tasks", task["id"], "tickets")} == {ticket["id"]}
    assert sid in world.status()["pending_timers"]["next"][0]["record"]


def test_round_robin_is_fair_across_runs(world: World) -> None:
    members = team(world.portal, "Customer Success", 3)
    for _ in range(3):
        world.portal.submission(world.portal.customer(None), 1)
    world.cycle()
    world.clock.advance(minutes=5)
    for _ in range(3):
        world.portal.submission(world.portal.customer(None), 2)
    world.cycle()
    owners = [t["properties"]["hubspot_owner_id"] for t in world.tickets()]
    assert sorted(owners) == sorted(str(m["id"]) for m in members for _ in range(2))
    # Each run continued where the last one stopped: three different owners in each run.
    assert len(set(owners[:3])) == 3 and len(set(owners[3:])) == 3
    # The call task goes to the same person as the ticket.
    by_subject = {t["properties"]["hubspot_owner_id"] for t in world.tasks()}
    assert by_subject == {str(m["id"]) for m in members}


def test_contact_with_no_company_gets_a_ticket_owned_in_turn(world: World) -> None:
    (member,) = team(world.portal, "Customer Success", 1)
    contact = world.portal.customer(None, company=False)
    world.portal.submission(contact, 0)
    world.cycle()
    (ticket,) = world.tickets()
    assert ticket["properties"]["hubspot_owner_id"] == str(member["id"])
    assert len(world.emails("Following up")) == 1


def test_contact_with_no_email_gets_a_ticket_but_no_email_and_a_reason(world: World) -> None:
    analyst = world.portal.analyst()
    contact = world.portal.customer(analyst, email=None)
    sid = world.portal.submission(contact, 4)
    world.cycle()
    assert len(world.tickets()) == 1
    assert world.emails("Following up") == []
    notices = [n for n in world.status()["notices"] if n["record"].endswith(sid)]
    assert any(n["message"] == "nps_contact: empty: contact.email has no value" for n in notices)


def test_48_hour_escalation_boundary_once(world: World) -> None:
    analyst = world.portal.analyst()
    managers = team(world.portal, "Customer Success Managers", 2)
    world.portal.submission(world.portal.customer(analyst), 5)
    world.cycle()
    world.clock.advance(hours=47, minutes=59)
    world.cycle()
    assert world.emails("Escalation") == []
    world.clock.advance(minutes=2)
    world.cycle()
    world.clock.advance(hours=5)
    world.cycle()
    escalations = world.emails("Escalation")
    assert {a for e in escalations for a in e["to"]} == {m["email"] for m in managers}
    assert len(escalations) == 2
    second = [t for t in world.tasks() if t["properties"]["hs_task_subject"].startswith("Second call")]
    assert len(second) == 1 and second[0]["properties"]["hubspot_owner_id"] == str(analyst["id"])


def test_after_downtime_the_escalation_counts_from_the_response_not_from_when_it_was_seen(
    world: World,
) -> None:
    team(world.portal, "Customer Success Managers", 1)
    world.portal.submission(world.portal.customer(world.portal.analyst()), 2)
    world.clock.advance(hours=47)  # the worker was down: it first sees the response now
    world.cycle()
    assert world.emails("Escalation") == []
    world.clock.advance(hours=1, minutes=1)  # 48 hours after the response, not after it was seen
    world.cycle()
    assert len(world.emails("Escalation")) == 1


def test_the_escalation_asks_whoever_owns_the_ticket_when_it_is_due(world: World) -> None:
    """The ticket is made in the cycle that first read the response, then reassigned: the submission
    itself never changes, yet the escalation names, and tasks, the owner as the CRM has it then."""
    analyst, other = world.portal.analyst("Ana", "Lyst"), world.portal.analyst("Ben", "Hand")
    team(world.portal, "Customer Success Managers", 1)
    world.portal.submission(world.portal.customer(analyst), 4)
    world.cycle()
    (ticket,) = world.tickets()
    world.clock.advance(hours=30)
    world.patch(
        f"/crm/v3/objects/tickets/{ticket['id']}", {"properties": {"hubspot_owner_id": str(other["id"])}}
    )
    world.cycle()
    world.clock.advance(hours=18, minutes=1)
    world.cycle()
    (escalation,) = world.emails("Escalation")
    assert f"Owner:   {other['email']}" in escalation["body"]
    (second,) = [t for t in world.tasks() if t["properties"]["hs_task_subject"].startswith("Second call")]
    assert second["properties"]["hubspot_owner_id"] == str(other["id"])


def test_a_logged_call_cancels_the_escalation(world: World) -> None:
    analyst = world.portal.analyst()
    team(world.portal, "Customer Success Managers", 1)
    world.portal.submission(world.portal.customer(analyst), 6)
    world.cycle()
    (ticket,) = world.tickets()
    world.clock.advance(hours=10)
    world.hs.create(
        "calls",
        {"hs_timestamp": world.clock().isoformat(), "hs_call_title": "Left a voicemail"},
        [("tickets", ticket["id"])],
    )
    world.cycle()
    world.clock.advance(hours=40)
    world.cycle()
    assert world.emails("Escalation") == []
    assert not [t for t in world.tasks() if t["properties"]["hs_task_subject"].startswith("Second call")]


def test_report_nps_from_the_stored_responses(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from sync.cli import main

    analyst = world.portal.analyst()
    for value in ("10", "9", "8", "3", "N/A"):
        world.portal.submission(world.portal.customer(analyst), value)
    world.cycle()
    monkeypatch.setenv("CRM_SYNC_DATABASE_URL", f"sqlite:///{tmp_path / 'state.db'}")
    config = str(Path(__file__).resolve().parents[2] / "config.yaml")
    assert main(["report", "nps", "--period", "all", "--json", "-c", config]) == 0
    (row,) = json.loads(capsys.readouterr().out)["tables"]["nps"]
    assert (row["promoters"], row["passives"], row["detractors"], row["responses"]) == (2, 1, 1, 4)
    assert row["nps"] == 25.0
    assert main(["report", "nps", "--by", "company", "-c", config]) == 0
    assert "Client" in capsys.readouterr().out
