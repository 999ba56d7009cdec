"""Delivery against the served sandbox: idempotency per action kind, per-action failures, batching."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.testing import SandboxHandle
from sync.connectors.base import OwedAction
from sync.connectors.hubspot import HubSpotConnector
from sync.connectors.hubspot.tasks import task_properties
from sync.connectors.hubspot.times import epoch_ms
from tests.hubspot.conftest import Portal, owed

TASK_TO_TICKET, TASK_TO_CONTACT = 230, 204


def person(owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "email": owner["email"],
        "user_id": owner["id"],
        "name": owner["firstName"],
        "roles": ["business_analyst"],
    }


def ticket_payload(owner: dict[str, Any] | None = None, pipeline: str = "Customer Success") -> dict[str, Any]:
    return {
        "subject": "NPS detractor: Pat Doe scored 3",
        "content": "Billing is slow",
        "pipeline": pipeline,
        "stage": "New",
        "owner": person(owner) if owner else None,
        "properties": {"nps_score": "3", "nps_comment": "Billing is slow"},
    }


def email_payload(to: str, sender: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "to": {"email": to, "user_id": None, "name": "Pat", "roles": ["nps_contact"]},
        "cc": [],
        "sender": person(sender) if sender else None,
        "subject": "Following up on your feedback",
        "text": "Hello Pat",
        "html": "<p>Hello Pat</p>",
    }


def task_payload(owner: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "subject": "Call Pat about their NPS score of 3",
        "description": None,
        "owner": person(owner) if owner else None,
        "due_at": "2026-03-03T09:00:00+00:00",
        "due_date": "2026-03-03",
        "type": "CALL",
        "fields": {},
        **extra,
    }


def associated(hubspot: Any, from_type: str, from_id: str, to_type: str) -> dict[str, list[int]]:
    targets: dict[str, list[int]] = hubspot._state.associations.targets((from_type, from_id), to_type)
    return targets


def test_ticket_is_created_once_with_resolved_ids_owner_and_associations(
    connector: HubSpotConnector, portal: Portal, hubspot: Any
) -> None:
    analyst = portal.analyst()
    contact = portal.customer(analyst)
    sid = portal.submission(contact)
    action = owed("create_ticket", sid, ticket_payload(analyst))

    first = connector.deliver([action])
    again = connector.deliver([action])  # a retry after a lost answer

    tickets = hubspot.objects("tickets")
    assert len(tickets) == 1
    ticket = tickets[0]
    assert first[0].status == again[0].status == "delivered"
    assert first[0].crm_id == again[0].crm_id == ticket["id"]
    props = ticket["properties"]
    assert (props["hs_pipeline"], props["hs_pipeline_stage"]) == ("21871334", "52813291")
    assert props["hubspot_owner_id"] == analyst["id"]
    assert props["crm_sync_key"] == action.external_id
    assert (props["subject"], props["content"], props["nps_score"]) == (
        "NPS detractor: Pat Doe scored 3",
        "Billing is slow",
        "3",
    )
    company = next(iter(associated(hubspot, "contacts", contact, "companies")))
    assert 16 in associated(hubspot, "tickets", ticket["id"], "contacts")[contact]
    assert 339 in associated(hubspot, "tickets", ticket["id"], "companies")[company]
    assert 99 in associated(hubspot, "tickets", ticket["id"], "feedback_submissions")[sid]


def test_an_unknown_pipeline_fails_only_its_action(
    connector: HubSpotConnector, portal: Portal, hubspot: Any
) -> None:
    sid = portal.submission(portal.customer())
    good = owed("create_ticket", sid, ticket_payload(), n=1)
    bad = owed("create_ticket", sid, ticket_payload(pipeline="Nope"), n=2)

    results = {r.key: r for r in connector.deliver([bad, good])}

    assert results[good.key].status == "delivered"
    assert results[bad.key].status == "failed" and not results[bad.key].retryable
    assert "Nope" in str(results[bad.key].error) and "Customer Success" in str(results[bad.key].error)
    assert len(hubspot.objects("tickets")) == 1


def test_a_repeated_send_id_sends_one_email_logged_once_on_the_ticket(
    connector: HubSpotConnector, portal: Portal, hubspot: Any, sandbox_server: SandboxHandle
) -> None:
    analyst = portal.analyst()
    contact = portal.customer(analyst)
    sid = portal.submission(contact)
    ticket = owed("create_ticket", sid, ticket_payload(analyst), n=1)
    email = owed("send_email", sid, email_payload("pat@client.example", sender=analyst), n=2)
    notice = owed("notify", sid, email_payload("customer-success-lead@example.com"), n=3)

    first = connector.deliver([email, notice, ticket])
    again = connector.deliver([retried(email), retried(notice)])  # as after a lost answer

    assert [r.status for r in first + again] == ["sent", "sent", "delivered", "sent", "sent"]
    sent = sandbox_server.sandbox.emails()
    assert sorted(e["to"][0] for e in sent) == ["customer-success-lead@example.com", "pat@client.example"]
    customer = next(e for e in sent if e["to"] == ["pat@client.example"])
    ticket_id = first[2].crm_id
    assert (customer["subject"], customer["body"], customer["related_id"]) == (
        "Following up on your feedback",
        "Hello Pat",
        ticket_id,
    )
    logged = hubspot.objects("emails")
    assert len(logged) == 1  # the customer email, not the internal notice, and not again on the retry
    assert logged[0]["properties"]["hs_email_subject"] == "Following up on your feedback"
    assert ticket_id in associated(hubspot, "emails", logged[0]["id"], "tickets")
    assert contact in associated(hubspot, "emails", logged[0]["id"], "contacts")


def retried(action: OwedAction) -> OwedAction:
    return replace(action, attempts=action.attempts + 1, tried=True)


def test_a_sent_email_whose_log_failed_is_logged_by_its_retry_and_sent_once(
    connector: HubSpotConnector, portal: Portal, hubspot: Any, sandbox_server: SandboxHandle
) -> None:
    analyst = portal.analyst()
    sid = portal.submission(portal.customer(analyst))
    [ticket] = connector.deliver([owed("create_ticket", sid, ticket_payload(analyst), n=1)])
    email = owed("send_email", sid, email_payload("pat@client.example"), n=2)
    sandbox_server.sandbox.add_fault(
        {"crm": "hubspot", "path_regex": "objects/emails/batch/create", "status": 503}
    )

    [first] = connector.deliver([email])
    assert first.status == "failed" and first.retryable  # sent, but not yet on the ticket's timeline
    assert hubspot.objects("emails") == []
    [second] = connector.deliver([retried(email)])
    [third] = connector.deliver([retried(retried(email))])  # and a lost answer after that: no second log

    assert second.status == third.status == "sent"
    assert [e["to"] for e in sandbox_server.sandbox.emails()] == [["pat@client.example"]]
    logged = hubspot.objects("emails")
    assert len(logged) == 1 and ticket.crm_id in associated(hubspot, "emails", logged[0]["id"], "tickets")
    assert email.external_id in logged[0]["properties"]["hs_email_text"]


def test_a_task_is_not_duplicated_by_a_retry(
    connector: HubSpotConnector, portal: Portal, hubspot: Any
) -> None:
    analyst = portal.analyst()
    contact = portal.customer(analyst)
    sid = portal.submission(contact)
    ticket = owed("create_ticket", sid, ticket_payload(analyst), n=1)
    task = owed("create_task", sid, task_payload(analyst, priority="High"), n=2)

    first = connector.deliver([task, ticket])
    again = connector.deliver(
        [owed("create_task", sid, task_payload(analyst, priority="High"), n=2, attempts=1)]
    )

    tasks = hubspot.objects("tasks")
    assert len(tasks) == 1
    assert first[0].crm_id == again[0].crm_id == tasks[0]["id"]
    props = tasks[0]["properties"]
    assert props["hs_task_type"] == "CALL" and props["hs_task_status"] == "NOT_STARTED"
    assert props["hs_task_priority"] == "HIGH" and props["hubspot_owner_id"] == analyst["id"]
    assert props["hs_timestamp"] == "2026-03-03T09:00:00.000Z"
    assert task.external_id in props["hs_task_body"]
    assert TASK_TO_TICKET in associated(hubspot, "tasks", tasks[0]["id"], "tickets")[first[1].crm_id]
    assert TASK_TO_CONTACT in associated(hubspot, "tasks", tasks[0]["id"], "contacts")[contact]


def test_multi_status_errors_fail_only_their_actions(
    connector: HubSpotConnector, portal: Portal, hubspot: Any
) -> None:
    sid = portal.submission(portal.customer())
    good = owed("create_task", sid, task_payload(), n=1)
    bad = owed("create_task", sid, task_payload(fields={"hs_task_priority": "BOGUS"}), n=2)
    read_only = owed(
        "update_record", sid, {"object": "feedback_submissions", "fields": {"hs_content": "x"}}, n=3
    )
    unknown = owed("post_chatter", sid, {"body": "hi"}, n=4)

    results = {r.key: r for r in connector.deliver([good, bad, read_only, unknown])}

    assert results[good.key].status == "delivered"
    for action in (bad, read_only, unknown):
        assert results[action.key].status == "failed" and not results[action.key].retryable, action.kind
    assert "BOGUS" in str(results[bad.key].error)
    assert "read-only" in str(results[read_only.key].error)
    assert len(hubspot.objects("tasks")) == 1


def test_update_record_writes_the_fields(connector: HubSpotConnector, portal: Portal, hubspot: Any) -> None:
    contact = portal.customer()
    action = owed("update_record", contact, {"object": "contacts", "fields": {"jobtitle": "CFO"}})

    [result] = connector.deliver([action])

    assert (result.status, result.crm_id) == ("delivered", contact)
    assert (
        next(c for c in hubspot.objects("contacts") if c["id"] == contact)["properties"]["jobtitle"] == "CFO"
    )


def test_a_task_without_a_due_date_keeps_its_planned_time_on_every_attempt() -> None:
    """HubSpot needs a time on every task: the firing's time, so a retry sends the very same task."""
    planned = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    task = owed("create_task", "1", {"subject": "Call back", "planned_at": planned.isoformat()})
    first = task_properties(task, planned + timedelta(minutes=1))
    retried = task_properties(task, planned + timedelta(hours=5))
    assert first == retried
    assert first["hs_timestamp"] == epoch_ms(planned)


def _reads(sandbox: Any) -> list[str]:
    return [r["path"] for r in sandbox.requests() if "batch/read" in r["path"]]


def test_delivery_right_after_a_poll_reads_nothing_the_poll_read(
    connector: HubSpotConnector,
    portal: Portal,
    stream: Any,
    hubspot: Any,
    sandbox_server: SandboxHandle,
    fake_time: Any,
) -> None:
    """The poll resolved each response's contact, company and ticket: delivery in the same cycle uses
    them (no submission or association re-read), and a record polled long ago is read as before."""
    from tests.hubspot.conftest import T0, all_records

    analyst = portal.analyst()
    contact = portal.customer(analyst)
    sid = portal.submission(contact, 3, modified=T0)
    assert len(all_records(connector.poll(stream, None))) == 1
    polled = len(sandbox_server.sandbox.requests())

    first = connector.deliver([owed("create_ticket", sid, ticket_payload(analyst), n=1)])

    assert first[0].status == "delivered"
    assert _reads(_Since(sandbox_server.sandbox, polled)) == []
    ticket = hubspot.objects("tickets")[0]
    assert sid in associated(hubspot, "tickets", ticket["id"], "feedback_submissions")
    assert contact in associated(hubspot, "tickets", ticket["id"], "contacts")

    list(connector.poll(stream, {"modified": "2099-01-01T00:00:00Z"}))  # the next cycle's poll: nothing new
    later = len(sandbox_server.sandbox.requests())  # delivery of an earlier cycle's action reads again
    again = connector.deliver([owed("create_task", sid, task_payload(analyst), n=2)])
    assert again[0].status == "delivered"
    assert any("feedback_submissions/batch/read" in p for p in _reads(_Since(sandbox_server.sandbox, later)))


class _Since:
    """The sandbox's requests from entry ``start`` on."""

    def __init__(self, sandbox: Any, start: int) -> None:
        self.sandbox, self.start = sandbox, start

    def requests(self) -> list[dict[str, Any]]:
        return list(self.sandbox.requests())[self.start :]


def test_a_repeated_ticket_is_recognised_by_its_key_whatever_the_clash_says(
    connector: HubSpotConnector, portal: Portal, hubspot: Any
) -> None:
    """HubSpot does not document how a unique-value clash is worded: the repeat is read by its key."""
    analyst = portal.analyst()
    sid = portal.submission(portal.customer(analyst))
    action = owed("create_ticket", sid, ticket_payload(analyst))
    first = connector.deliver([action])
    hubspot.unique_clash("Record {id} holds this {property}", "UNIQUE_CONSTRAINT")

    again = connector.deliver([replace(action, attempts=1, tried=True)])

    assert again[0].status == "delivered", again[0].error
    assert again[0].crm_id == first[0].crm_id == hubspot.objects("tickets")[0]["id"]
    assert len(hubspot.objects("tickets")) == 1
