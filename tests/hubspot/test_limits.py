"""Retries, rate limits and the API budget: faults injected into the served sandbox, time faked."""

from __future__ import annotations

from typing import Any

import pytest

from rules.model import Stream
from sandbox.testing import SandboxHandle
from sync.connectors.base import AccessRefused, BudgetExhausted, ConnectorError
from sync.connectors.hubspot import HubSpotConnector
from sync.connectors.hubspot.pacing import Pacer
from sync.connectors.hubspot.settings import HubSpotSettings
from tests.hubspot.conftest import T0, FakeTime, Portal, all_records, owed
from tests.hubspot.test_delivery import email_payload, ticket_payload

SEARCH = "^/crm/v3/objects/feedback_submissions/search"


def limit_body(policy: str) -> dict[str, Any]:
    return {"status": "error", "message": f"{policy} limit", "errorType": "RATE_LIMIT", "policyName": policy}


def statuses(sandbox_server: SandboxHandle, path: str) -> list[int]:
    return [r["status"] for r in sandbox_server.sandbox.requests() if path in r["path"]]


@pytest.mark.parametrize(
    ("policy", "headers", "waited"),
    [
        ("TEN_SECONDLY_ROLLING", {}, 10.0),
        ("TEN_SECONDLY_ROLLING", {"Retry-After": "3"}, 3.0),
        ("SECONDLY", {}, 1.0),
    ],
)
def test_429_waits_as_the_policy_says_then_retries(
    connector: HubSpotConnector,
    portal: Portal,
    stream: Stream,
    sandbox_server: SandboxHandle,
    fake_time: FakeTime,
    policy: str,
    headers: dict[str, str],
    waited: float,
) -> None:
    portal.submission(portal.customer(), 3, modified=T0)
    sandbox_server.sandbox.add_fault(
        {
            "crm": "hubspot",
            "path_regex": SEARCH,
            "status": 429,
            "times": 2,
            "headers": headers,
            "body": limit_body(policy),
        }
    )

    assert len(all_records(connector.poll(stream, None))) == 1
    assert statuses(sandbox_server, "feedback_submissions/search") == [429, 429, 200]
    assert fake_time.sleeps[:2] == [waited, waited]


def test_the_daily_limit_pauses_polling_and_defers_delivery(
    connector: HubSpotConnector, portal: Portal, stream: Stream, sandbox_server: SandboxHandle
) -> None:
    sid = portal.submission(portal.customer(), 3, modified=T0)
    sandbox_server.sandbox.add_fault(
        {"crm": "hubspot", "path_regex": "^/crm", "status": 429, "times": 100, "body": limit_body("DAILY")}
    )

    with pytest.raises(BudgetExhausted, match="daily"):
        list(connector.poll(stream, None))
    results = connector.deliver(
        [
            owed("create_ticket", sid, ticket_payload(), n=1),
            owed("notify", sid, email_payload("a@b.example"), n=2),
        ]
    )

    assert [r.status for r in results] == ["deferred", "deferred"]
    assert len(sandbox_server.sandbox.requests()) == 2  # one refused call each, then no more


def test_max_daily_usage_stops_before_the_limit(
    connector: HubSpotConnector, portal: Portal, hubspot: Any, sandbox_server: SandboxHandle
) -> None:
    sid = portal.submission(portal.customer(), 3, modified=T0)
    hubspot.settings.daily_limit = 20  # 90% = 18 calls
    hubspot.create("contacts", {"email": "ballast@example.com"})  # seeding does not count
    tickets = [owed("create_ticket", sid, ticket_payload(), n=n) for n in range(3)]
    emails = [owed("notify", sid, email_payload(f"lead{n}@example.com"), n=10 + n) for n in range(30)]

    results = {r.key: r for r in connector.deliver([*tickets, *emails])}

    delivered = [a for a in emails if results[a.key].status == "sent"]
    deferred = [a for a in emails if results[a.key].status == "deferred"]
    assert all(results[a.key].status == "delivered" for a in tickets)
    assert delivered and deferred and len(delivered) + len(deferred) == 30
    assert "daily" in str(results[deferred[0].key].error)
    assert len(sandbox_server.sandbox.requests()) == 18
    assert len(sandbox_server.sandbox.emails()) == len(delivered)


def test_server_errors_are_retried_with_backoff(
    connector: HubSpotConnector,
    portal: Portal,
    stream: Stream,
    sandbox_server: SandboxHandle,
    fake_time: FakeTime,
) -> None:
    portal.submission(portal.customer(), 3, modified=T0)
    sandbox_server.sandbox.add_fault(
        {"crm": "hubspot", "path_regex": "^/crm/v3/objects/contacts", "status": 503, "times": 2}
    )
    sandbox_server.sandbox.add_fault({"crm": "hubspot", "path_regex": SEARCH, "drop": True, "times": 1})

    assert len(all_records(connector.poll(stream, None))) == 1
    assert statuses(sandbox_server, "contacts/batch/read") == [503, 503, 200]
    assert fake_time.sleeps == [1.0, 1.0, 2.0]  # the dropped search, then the two 503s


def test_an_outage_fails_retryably_after_a_few_tries(
    connector: HubSpotConnector, portal: Portal, stream: Stream, sandbox_server: SandboxHandle
) -> None:
    sid = portal.submission(portal.customer(), 3, modified=T0)
    sandbox_server.sandbox.add_fault({"crm": "hubspot", "path_regex": "^/crm", "status": 502, "times": 1000})

    with pytest.raises(ConnectorError) as raised:
        list(connector.poll(stream, None))
    [result] = connector.deliver([owed("create_ticket", sid, ticket_payload())])

    assert raised.value.retryable and "502" in str(raised.value)
    assert len(statuses(sandbox_server, "feedback_submissions/search")) == 4
    assert result.status == "failed" and result.retryable


def test_a_task_create_is_not_repeated_blindly_after_a_timeout_like_failure(
    connector: HubSpotConnector, portal: Portal, sandbox_server: SandboxHandle, hubspot: Any
) -> None:
    sid = portal.submission(portal.customer(), 3, modified=T0)
    sandbox_server.sandbox.add_fault(
        {"crm": "hubspot", "path_regex": "^/crm/v3/objects/tasks/batch/create", "status": 504}
    )
    task = {
        "subject": "Call",
        "description": None,
        "owner": None,
        "due_at": "2026-03-03T09:00:00+00:00",
        "fields": {},
    }

    [first] = connector.deliver([owed("create_task", sid, task)])
    [second] = connector.deliver([owed("create_task", sid, task, attempts=1)])

    assert first.status == "failed" and first.retryable
    assert second.status == "delivered" and len(hubspot.objects("tasks")) == 1
    assert statuses(sandbox_server, "tasks/batch/create") == [504, 201]


def test_a_bad_token_stops_calls_without_losing_actions(
    make_connector: Any, settings: HubSpotSettings, stream: Stream, portal: Portal
) -> None:
    """A rotated token must not turn the whole backlog dead: actions are deferred, not failed."""
    sid = portal.submission(portal.customer(), 3, modified=T0)
    connector = make_connector(settings=settings.model_copy(update={"access_token": "pat-wrong"}))

    with pytest.raises(AccessRefused, match="access token"):
        list(connector.poll(stream, None))
    [result] = connector.deliver([owed("notify", sid, email_payload("a@b.example"))])

    assert result.status == "deferred" and "access token" in str(result.error)


def test_pacing_spaces_searches_and_waits_out_a_spent_burst_window() -> None:
    time = FakeTime()
    pacer = Pacer(search_per_second=4, max_daily_usage=0.9, sleep=time.sleep, clock=time.monotonic)

    for _ in range(3):
        pacer.before(search=True)
    pacer.observe(
        {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Remaining": "50"}
    )
    pacer.before(search=False)
    pacer.observe(
        {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000", "X-HubSpot-RateLimit-Remaining": "1"}
    )
    pacer.before(search=False)
    pacer.observe({"X-HubSpot-RateLimit-Daily": "1000", "X-HubSpot-RateLimit-Daily-Remaining": "99"})

    assert time.sleeps == [0.25, 0.25, 10.0]
    with pytest.raises(BudgetExhausted, match="901 of the 1000"):
        pacer.before(search=False)
    pacer.reset_budget()
    pacer.before(search=False)


def test_the_registry_built_connector_paces_real_searches(
    built: HubSpotConnector, portal: Portal, stream: Stream, sandbox_server: SandboxHandle, hubspot: Any
) -> None:
    hubspot.settings.search_rate_per_second = 5  # HubSpot's own limit; the connector keeps to 4 a second
    contact = portal.customer()
    for n in range(5):
        portal.submission(contact, n, modified=T0)
    built.poller.page_size = 1

    assert len(all_records(built.poll(stream, None))) == 5
    assert 429 not in [r["status"] for r in sandbox_server.sandbox.requests()]


@pytest.mark.parametrize(
    ("status", "body", "retryable", "give_up_after"),
    [
        (418, {"status": "error", "message": "short and stout", "category": "TEAPOT"}, True, 3),
        (
            400,
            {"status": "error", "message": "Email is invalid", "category": "VALIDATION_ERROR"},
            False,
            None,
        ),
        (
            403,
            {"status": "error", "message": "needs transactional-email", "category": "MISSING_SCOPES"},
            False,
            None,
        ),
    ],
)
def test_a_refused_send_is_decided_by_the_retry_table(
    connector: HubSpotConnector,
    portal: Portal,
    sandbox_server: SandboxHandle,
    status: int,
    body: dict[str, Any],
    retryable: bool,
    give_up_after: int | None,
) -> None:
    """An unknown 4xx is retried a few attempts; what HubSpot calls invalid, or a missing scope, is
    dead at once with HubSpot's message; the other emails of the batch still go."""
    sid = portal.submission(portal.customer(), 3, modified=T0)
    sandbox_server.sandbox.add_fault(
        {"crm": "hubspot", "path_regex": "single-email/send", "status": status, "times": 1, "body": body}
    )
    first, second = connector.deliver(
        [
            owed("notify", sid, email_payload("a@example.com"), n=1),
            owed("notify", sid, email_payload("b@example.com"), n=2),
        ]
    )
    assert first.status == "failed" and first.retryable is retryable and first.give_up_after == give_up_after
    assert body["message"] in (first.error or "")
    assert second.status == "sent"
    assert statuses(sandbox_server, "single-email/send") == [status, 200]


def test_under_oauth_the_daily_budget_is_unknown_and_a_daily_429_stops_the_calls(
    make_connector: Any, settings: Any, portal: Portal, hubspot: Any, sandbox_server: SandboxHandle
) -> None:
    """OAuth answers state no daily limit: crm-sync neither stops at once (as if none were left) nor
    counts on plenty; HubSpot's DAILY 429 stops the calls and what is owed waits."""
    sid = portal.submission(portal.customer(), 3, modified=T0)
    hubspot.settings.daily_limit = 20
    oauth = settings.model_copy(update={"access_token": hubspot.settings.oauth_access_token})
    connector = make_connector(settings=oauth)
    emails = [owed("notify", sid, email_payload(f"lead{n}@example.com"), n=n) for n in range(30)]

    results = connector.deliver(emails)

    assert connector.client.pacer.daily is None  # unknown
    sent = sum(1 for r in results if r.status == "sent")
    assert [r.status for r in results] == ["sent"] * sent + ["deferred"] * (30 - sent)
    assert "daily" in str(results[-1].error)
    assert len(sandbox_server.sandbox.requests()) == 21  # all 20 calls of the day, the refused one, no more
