"""The Salesforce adapter's wire behaviour: sessions, budget, paging, overlap, idempotent retries."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from sandbox.salesforce.testing import rsa_key_pair
from sandbox.seeds.salesforce import insert_sli, seed_people
from sync.connectors.base import AccessRefused, ConnectorError, OwedAction
from sync.connectors.salesforce.settings import salesforce_settings
from sync.delivery import owed_action
from tests.salesforce.conftest import Org
from tests.support import T0

INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def calls(org: Org, fragment: str) -> int:
    return len([r for r in org.sandbox.requests() if fragment in r["path"]])


def _one_sli_and_fault(org: Org, path: str, status: int, times: int = 1, **fault: object) -> None:
    """One new SLI (seven alerts, a post, two tasks owed) and a fault on the calls to ``path``."""
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.submitter)
    org.sandbox.add_fault(
        {"crm": "salesforce", "path_regex": path, "status": status, "times": times, **fault}
    )


def test_an_expired_session_is_renewed_once_and_the_call_replayed(org: Org) -> None:
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.submitter)
    assert org.engine.run_cycle().ok
    org.clock.advance(seconds=org.sf.settings.token_ttl_seconds + 60)
    insert_sli(org.sf, refs, org.clock(), people.submitter, Name="Ann Lee - Late Caregiver")
    assert org.engine.run_cycle().ok
    assert calls(org, "/services/oauth2/token") == 2
    assert len([e for e in org.sandbox.emails() if "Ann Lee" in e["subject"]]) == 7


def test_a_session_rejected_again_after_renewal_fails_cleanly_without_recursion(org: Org) -> None:
    _one_sli_and_fault(org, "/limits", 401, 5, body=INVALID_SESSION)
    report = org.engine.run_cycle()
    assert not report.ok and "freshly issued session" in report.errors[0]
    assert calls(org, "/services/oauth2/token") == 2  # the first login, and one renewal: no loop
    assert calls(org, "/limits") == 2


def _client(org: Org, **settings: object) -> None:
    """Rebuild the adapter's client with other settings (the config's are frozen)."""
    from sync.connectors.salesforce import SalesforceConnector
    from sync.connectors.salesforce.client import SalesforceClient

    assert salesforce_settings(org.ruleset) is not None
    connector = SalesforceConnector(
        SalesforceClient(
            salesforce_settings(org.ruleset).model_copy(update=settings), org.clock, org.sleeps.append
        )
    )
    org.connector = connector
    org.engine.connectors = {"salesforce": connector}


def test_calls_stop_before_the_daily_budget_is_spent_and_resume_when_it_recovers(org: Org) -> None:
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.submitter)
    _client(org, max_api_usage=0.5)
    org.sf.settings.daily_api_budget = 20  # crm-sync may use the org up to 10 calls
    assert org.engine.run_cycle().ok  # 5 calls: clock/usage, query, Task upsert, FeedItems, emails
    assert org.engine.run_cycle().ok  # 2 more each idle cycle
    assert org.engine.run_cycle().ok
    stopped = org.engine.run_cycle()  # the /limits probe shows 10/20: no query
    assert any("API usage 10/20" in e and "max_api_usage" in e for e in stopped.errors)
    assert org.connector.client.api_used == 10
    insert_sli(org.sf, refs, org.clock(), people.submitter, Name="Ann Lee - Late Caregiver")
    org.sf.settings.daily_api_budget = 1000  # as when the rolling 24 hours move on
    assert org.engine.run_cycle().ok  # a long-running worker notices without a restart
    assert len([e for e in org.sandbox.emails() if "Ann Lee" in e["subject"]]) == 7


def test_a_budget_spent_mid_batch_keeps_what_went_out_and_never_resends_it(org: Org) -> None:
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.submitter)
    _client(org, email_batch_size=3, max_api_usage=0.5)
    org.sf.settings.daily_api_budget = 8  # 4 calls: /limits, the query, then two emailSimple calls of 3
    report = org.engine.run_cycle()
    assert len(org.sandbox.emails()) == 6
    assert report.delivery.counts == {"delivered": 6, "deferred": 4}  # 1 email, the post and 2 Tasks wait
    org.sf.settings.daily_api_budget = 1000
    org.clock.advance(minutes=5)
    org.engine.run_cycle()
    alerts = [e for e in org.sandbox.emails() if e["subject"].startswith("New Service Level")]
    assert len(alerts) == 7 and len({a for e in alerts for a in e["to"]}) == 7


def test_request_limit_exceeded_defers_delivery_without_losing_actions(org: Org) -> None:
    _one_sli_and_fault(
        org,
        "emailSimple",
        403,
        1,
        body=[{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    )
    report = org.engine.run_cycle()
    assert report.delivery.counts["deferred"] >= 7
    assert org.sandbox.emails() == []
    org.clock.advance(minutes=5)
    org.engine.run_cycle()
    assert len(org.sandbox.emails()) == 7


def test_a_503_on_the_task_upsert_is_repeated_in_the_call_without_duplicates(org: Org) -> None:
    _one_sli_and_fault(org, "composite/sobjects/Task", 503, 1)
    first = org.engine.run_cycle()
    assert first.delivery.counts == {"delivered": 10}  # an upsert on its external id may be repeated
    assert org.sleeps == [1.0]
    assert len([t for t in org.sf.records("Task") if t.get("Crm_Sync_Key__c")]) == 2


def test_a_503_on_a_post_is_never_repeated_blind_and_the_retry_finds_nothing_to_skip(org: Org) -> None:
    _one_sli_and_fault(org, "composite/sobjects$", 503, 1)
    first = org.engine.run_cycle()
    assert first.delivery.counts == {"delivered": 9, "retrying": 1}  # the FeedItem create: outcome unknown
    org.clock.advance(minutes=5)
    assert org.engine.run_cycle().delivery.counts == {"delivered": 1}
    assert len(org.sf.records("FeedItem")) == 1


def test_a_429_on_emails_waits_as_asked_and_loses_nothing(org: Org) -> None:
    """A refused call did nothing, so even an email send is repeated, after the wait asked for."""
    _one_sli_and_fault(org, "emailSimple", 429, 2, headers={"Retry-After": "7"})
    report = org.engine.run_cycle()
    assert report.delivery.counts == {"delivered": 10}
    assert org.sleeps == [7.0, 7.0]
    assert len(org.sandbox.emails()) == 7


def test_a_429_asking_for_an_hour_defers_instead_of_blocking_the_cycle(org: Org) -> None:
    _one_sli_and_fault(org, "emailSimple", 429, 1, headers={"Retry-After": "3600"})
    report = org.engine.run_cycle()
    assert report.delivery.counts == {"deferred": 10} and org.sleeps == []  # the org said: not now
    with org.store.transaction() as tx:
        deferred = [a for a in tx.ledger.find(kind="notify")]
    assert {a.next_attempt_at for a in deferred} == {T0 + timedelta(hours=1)}
    assert all(a.attempts == 0 and a.status == "pending" for a in deferred)


def test_an_unknown_4xx_is_retried_a_few_times_then_dead(org: Org) -> None:
    teapot = [{"message": "I'm a teapot", "errorCode": "TEAPOT"}]
    _one_sli_and_fault(org, "emailSimple", 418, 100, body=teapot)
    counts = []
    for _ in range(4):
        counts.append(org.engine.run_cycle().delivery.counts.get("dead", 0))
        org.clock.advance(hours=2)
    assert counts[:2] == [0, 0] and sum(counts) == 7  # dead on the third attempt, not the first
    with org.store.transaction() as tx:
        dead = tx.ledger.find(status="dead")
    assert len(dead) == 7 and all(a.attempts == 3 and "TEAPOT" in (a.last_error or "") for a in dead)


def test_a_request_salesforce_rejects_as_invalid_is_dead_at_once(org: Org) -> None:
    invalid = [{"message": "Subject: bad value", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION"}]
    _one_sli_and_fault(org, "composite/sobjects/Task", 400, 1, body=invalid)
    report = org.engine.run_cycle()
    assert report.delivery.counts == {"delivered": 8, "dead": 2}


def _owed(org: Org, kind: str, attempts: int) -> list[OwedAction]:
    with org.store.transaction() as tx:
        rows = tx.ledger.find(kind=kind)
    owed = [owed_action(row) for row in rows]
    return [replace(o, attempts=attempts, tried=True) for o in owed if isinstance(o, OwedAction)]


def test_replaying_writes_whose_outcome_was_lost_never_duplicates(org: Org) -> None:
    """As after a crash between the CRM write and its bookkeeping: the same actions delivered again."""
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.submitter)
    org.engine.run_cycle()
    before = (len(org.sandbox.emails()), len(org.sf.records("FeedItem")), len(org.sf.records("Task")))
    replay = _owed(org, "create_task", 1) + _owed(org, "post_chatter", 1) + _owed(org, "notify", 1)
    results = org.connector.deliver(replay)
    assert {r.status for r in results} == {"delivered"}
    after = (len(org.sandbox.emails()), len(org.sf.records("FeedItem")), len(org.sf.records("Task")))
    assert after == before


def test_paging_reads_every_row_once_in_few_calls(org: Org) -> None:
    people, refs = seed_people(org.sf)
    for n in range(2_050):
        insert_sli(
            org.sf, refs, T0 - timedelta(days=40), people.submitter, Name=f"Client {n} - Late Caregiver"
        )
    pages = list(org.connector.poll(org.ruleset.streams["salesforce.sli"], None))
    assert [len(p.records) for p in pages] == [2_000, 50]
    assert len({r["Id"] for p in pages for r in p.records}) == 2_050
    assert calls(org, "/query") == 2  # one query, one nextRecordsUrl
    assert pages[-1].records[0]["Referral_Account__r"]["Owner"]["Manager"]["Email"] == "mona@org.test"
    assert "attributes" not in pages[0].records[0]


def test_overlap_catches_a_late_commit_with_an_older_modstamp(org: Org) -> None:
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.submitter)
    stream = org.ruleset.streams["salesforce.sli"]
    (page,) = list(org.connector.poll(stream, None))
    cursor = page.cursor
    # A transaction that started 3 minutes earlier commits now, stamped with its start time.
    org.clock.advance(minutes=-3)
    late = insert_sli(org.sf, refs, org.clock(), people.submitter, Name="Late Commit - No Call No Show")
    org.clock.advance(minutes=8)
    seen = {r["Id"] for p in org.connector.poll(stream, cursor) for r in p.records}
    assert late in seen


def test_an_idle_poll_after_a_burst_rereads_the_overlap_window_only(org: Org) -> None:
    people, refs = seed_people(org.sf)
    for n in range(300):
        insert_sli(org.sf, refs, org.clock(), people.submitter, Name=f"Client {n} - Late Caregiver")
    stream = org.ruleset.streams["salesforce.sli"]
    pages = list(org.connector.poll(stream, None))
    assert sum(len(p.records) for p in pages) == 300
    org.clock.advance(minutes=15)
    edge = list(org.connector.poll(stream, pages[-1].cursor))  # the burst sat at the last window's edge
    assert sum(len(p.records) for p in edge) == 300
    for _ in range(3):  # from then on, idle polls read nothing: the burst is older than the overlap
        org.clock.advance(minutes=15)
        before = calls(org, "/query")
        edge = list(org.connector.poll(stream, edge[-1].cursor))
        assert [len(p.records) for p in edge] == [0] and calls(org, "/query") - before == 1


def test_an_unfinished_window_resumes_after_its_last_row(org: Org) -> None:
    people, refs = seed_people(org.sf)
    org.clock.advance(days=-2)
    for n in range(2_050):
        insert_sli(org.sf, refs, org.clock(), people.submitter, Name=f"Client {n} - Late Caregiver")
    org.clock.advance(days=2)
    stream = org.ruleset.streams["salesforce.sli"]
    first = next(iter(org.connector.poll(stream, None)))  # the worker died after committing one page
    assert len(first.records) == 2_000 and first.cursor["done"] is False
    rest = list(org.connector.poll(stream, first.cursor))
    assert sum(len(p.records) for p in rest) == 50


def test_deleted_rows_arrive_through_query_all(org: Org) -> None:
    import requests

    people, refs = seed_people(org.sf)
    sli = insert_sli(org.sf, refs, T0, people.submitter)
    stream = org.ruleset.streams["salesforce.sli"]
    (page,) = list(org.connector.poll(stream, None))
    org.clock.advance(minutes=1)
    token = org.sf.issue_token()
    requests.delete(
        f"https://org.sandbox.test/services/data/v62.0/sobjects/Service_Level_Intervention__c/{sli}",
        headers={"Authorization": f"Bearer {token}"},
    )
    org.clock.advance(minutes=1)
    pages = list(org.connector.poll(stream, page.cursor))
    assert [d for p in pages for d in p.deleted_ids] == [sli]
    assert all(r["Id"] != sli for p in pages for r in p.records)
    assert calls(org, "/queryAll") >= 2


def test_unreachable_org_is_a_retryable_error_after_a_few_tries(org: Org) -> None:
    org.sandbox.add_fault({"crm": "salesforce", "path_regex": "/limits", "drop": True, "times": 10})
    with pytest.raises(ConnectorError) as info:
        list(org.connector.poll(org.ruleset.streams["salesforce.sli"], None))
    assert info.value.retryable and "unreachable" in str(info.value)
    assert org.sleeps == [1.0, 2.0, 4.0] and calls(org, "/limits") == 4


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            [{"message": "bad", "errorCode": "INVALID_GRANT"}],
            "refused the client_credentials login (HTTP 400): INVALID_GRANT: bad",
        ),
        (400, "", "refused the client_credentials login (HTTP 400): an empty answer"),
        (403, "<html><body>Blocked by proxy</body></html>", "an HTML page"),
        (200, "<html>maintenance</html>", "answered 200 without a token: an HTML page"),
        (200, '{"access_token": "00D', "answered 200 without a token"),
        (200, [{"access_token": "x"}], "answered 200 without a token"),
        (200, {"access_token": "x"}, "answered 200 without a token"),
    ],
)
def test_every_token_answer_shape_is_a_clear_error(
    org: Org, status: int, body: object, expected: str
) -> None:
    org.sandbox.add_fault(
        {"crm": "salesforce", "path_regex": "oauth2/token", "status": status, "times": 10, "body": body}
    )
    report = org.engine.run_cycle()
    assert not report.ok
    assert any(expected in error for error in report.errors), report.errors


def test_jwt_bearer_login_signs_as_the_integration_user(org: Org) -> None:
    from sync.connectors.salesforce.client import SalesforceClient

    private, public = rsa_key_pair()
    org.sf.settings.jwt_public_key_pem = public
    org.sf.insert(
        "User", {"Username": "integration@org.test", "LastName": "Integration", "Email": "i@org.test"}
    )
    assert salesforce_settings(org.ruleset) is not None
    settings = salesforce_settings(org.ruleset).model_copy(
        update={"auth": "jwt", "username": "integration@org.test", "private_key": private}
    )
    client = SalesforceClient(settings, org.clock)
    assert "DailyApiRequests" in client.call(lambda sf: sf.restful("limits"))
    wrong, _ = rsa_key_pair()
    refused = SalesforceClient(settings.model_copy(update={"private_key": wrong}), org.clock)
    with pytest.raises(AccessRefused, match="refused the jwt login"):
        refused.call(lambda sf: sf.restful("limits"))


class _Killed(BaseException):
    """Stands for the process dying (SIGKILL, power loss): nothing after it runs."""


def test_a_worker_killed_after_writing_but_before_bookkeeping_never_resends(org: Org) -> None:
    people, refs = seed_people(org.sf)
    insert_sli(org.sf, refs, T0, people.submitter)
    real = org.connector.deliver

    def write_then_die(actions: object) -> object:
        real(actions)  # the emails, the Chatter post and the Tasks reach Salesforce...
        raise _Killed  # ...and the process dies before the ledger hears of it

    org.connector.deliver = write_then_die  # type: ignore[method-assign]
    with pytest.raises(_Killed):
        org.engine.run_cycle()
    org.connector.deliver = real  # type: ignore[method-assign]
    before = (len(org.sandbox.emails()), len(org.sf.records("FeedItem")), len(org.sf.records("Task")))
    assert before[0] == 7
    org.clock.advance(minutes=5)
    assert org.engine.run_cycle().delivery.counts["delivered"] == 10
    assert (len(org.sandbox.emails()), len(org.sf.records("FeedItem")), len(org.sf.records("Task"))) == before
