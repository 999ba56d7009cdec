"""The benchmark's pure parts: endpoint labels, the minimum calls, the targets."""

from __future__ import annotations

from collections import Counter

from bench import endpoints as ep
from bench.minimum import StreamWork, Work, long_text_fields, minimum
from bench.result import Result
from bench.targets import TARGETS


def test_endpoints_fold_versions_ids_and_locators() -> None:
    assert ep.endpoint("get", "/services/data/v62.0/limits/") == ep.SF_LIMITS
    assert ep.endpoint("GET", "/services/data/v62.0/query/01gxx0000000001AAA-2000") == ep.SF_QUERY_MORE
    assert (
        ep.endpoint("GET", "/services/data/v62.0/sobjects/Task/00T000000000001AAA")
        == "GET sobjects/Task/{id}"
    )
    assert ep.endpoint("POST", "/services/oauth2/token") == ep.SF_TOKEN
    assert ep.endpoint("GET", "/crm/v3/objects/tickets/12345") == "GET crm/v3/objects/tickets/{id}"
    log = [{"crm": "hubspot", "method": "POST", "path": "/crm/v3/objects/contacts/batch/read"}] * 2
    assert ep.count_calls(log) == Counter({("hubspot", ep.HS_READ_CONTACTS): 2})


def test_minimum_follows_the_documented_limits() -> None:
    work = Work(
        streams=[
            StreamWork("salesforce", changed=4001),
            StreamWork("hubspot", changed=2001, contacts=2001, companies=1500),
        ],
        actions=Counter(
            {
                ("salesforce", "create_task"): 401,
                ("salesforce", "notify"): 1400,
                ("hubspot", "create_ticket"): 101,
                ("hubspot", "send_email"): 101,
                ("hubspot", "notify"): 700,
            }
        ),
        fresh_session=True,
    )
    need = minimum(work)
    assert need[("salesforce", ep.SF_QUERY_ALL)] == 1
    assert need[("salesforce", ep.SF_QUERY_MORE)] == 2  # 2,000 rows a page
    assert need[("salesforce", ep.SF_TASK_UPSERT)] == 3  # 200 records a call
    assert need[("salesforce", ep.SF_EMAIL_SIMPLE)] == 1  # no documented cap on inputs
    assert need[("salesforce", ep.SF_TOKEN)] == 1
    assert need[("hubspot", ep.HS_SEARCH_SUBMISSIONS)] == 11  # 200 a page
    assert need[("hubspot", ep.HS_READ_COMPANIES)] == 15  # 100 a batch
    assert need[("hubspot", ep.HS_CONTACT_COMPANIES)] == 3  # 1,000 ids a batch read
    assert need[("hubspot", ep.HS_PIPELINES)] == 1
    assert need[("hubspot", ep.HS_SEND)] == 801  # one call per email
    assert ("hubspot", ep.HS_READ_TICKETS) not in need


def test_an_idle_poll_needs_one_call_per_stream_and_the_limits_probe() -> None:
    work = Work(streams=[StreamWork("salesforce"), StreamWork("hubspot")])
    assert sum(minimum(work).values()) == 3


def test_two_long_text_fields_shrink_salesforce_pages() -> None:
    assert long_text_fields("Service_Level_Intervention__c", ["Name", "Intervention_Plan__c"]) == 1
    many = Work(streams=[StreamWork("salesforce", changed=401, long_text_fields=2)])
    assert minimum(many)[("salesforce", ep.SF_QUERY_MORE)] == 2


def test_targets_pass_and_miss() -> None:
    burst = Result(
        "burst", "sqlite", 1, calls=[("hubspot", ep.HS_READ_CONTACTS, 11, 10), ("hubspot", ep.HS_SEND, 99, 9)]
    )
    ratio = TARGETS["burst"][0]
    assert ratio.passed(burst) is True  # sends are outside the targeted total
    burst.calls.append(("hubspot", ep.HS_OWNERS, 1, 0))
    assert ratio.passed(burst) is False
    slow = Result("evaluation (SLI)", "-", 1, evals_per_s=6400.0)
    assert TARGETS["evaluation (SLI)"][0].passed(slow) is False


def test_queued_sends_cost_one_status_read_each_up_to_the_cap_per_cycle() -> None:
    status = ("hubspot", ep.HS_SEND_STATUS)
    assert minimum(Work(streams=[StreamWork("hubspot")], sends_to_confirm=150))[status] == 150
    assert minimum(Work(streams=[StreamWork("hubspot")], sends_to_confirm=16_000))[status] == 200
    assert status not in minimum(Work(streams=[StreamWork("hubspot")]))
    path = "/marketing/v3/email/send-statuses/0b5f3c2e-8d1a-4c55-9a57-2f7c1e0d9b11"
    assert ep.endpoint("GET", path) == ep.HS_SEND_STATUS
