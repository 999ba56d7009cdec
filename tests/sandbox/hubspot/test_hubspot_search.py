"""POST crm/v3/objects/{type}/search: filters, sorts, paging, the 10,000 cap and the search rate limit."""

from __future__ import annotations

import pytest

from sandbox.core import SandboxRequest
from sandbox.hubspot import HubSpotEmulator, HubSpotSettings

SEARCH = "/crm/v3/objects/{}/search"


def where(*filters: dict, **body) -> dict:
    return {"filterGroups": [{"filters": list(filters)}], **body}


def f(name: str, operator: str, value=None, **extra) -> dict:
    flt = {"propertyName": name, "operator": operator, **extra}
    if value is not None:
        flt["value"] = value
    return flt


@pytest.fixture
def emulator(outbox, clock) -> HubSpotEmulator:
    """Search's 5-per-second limit lifted: these tests search many times within one clock instant."""
    return HubSpotEmulator(outbox, clock=clock, settings=HubSpotSettings(search_rate_per_second=10_000))


@pytest.fixture
def scored(make_ticket, clock):
    """Tickets with NPS scores 0, 3, 7, 10 and comments, created one hour apart."""
    tickets = []
    for score, comment in [(0, "terrible support"), (3, "slow answers"), (7, None), (10, "great support")]:
        tickets.append(make_ticket(nps_score=score, nps_comment=comment, hs_ticket_priority="HIGH"))
        clock.advance(3600)
    return tickets


def ids(response) -> list[str]:
    assert response.status == 200, response.body
    return [r["id"] for r in response.body["results"]]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (f("nps_score", "EQ", "3"), [1]),
        (f("nps_score", "NEQ", "3"), [0, 2, 3]),
        (f("nps_score", "LT", "7"), [0, 1]),  # numeric, not "10" < "7" as strings
        (f("nps_score", "LTE", "7"), [0, 1, 2]),
        (f("nps_score", "GT", "3"), [2, 3]),
        (f("nps_score", "GTE", 10), [3]),
        (f("nps_score", "BETWEEN", "3", highValue="7"), [1, 2]),
        (f("nps_score", "IN", values=["0", "10"]), [0, 3]),
        (f("nps_score", "NOT_IN", values=["0", "10"]), [1, 2]),
        (f("nps_comment", "HAS_PROPERTY"), [0, 1, 3]),
        (f("nps_comment", "NOT_HAS_PROPERTY"), [2]),
        (f("nps_comment", "CONTAINS_TOKEN", "support"), [0, 3]),
        (f("nps_comment", "CONTAINS_TOKEN", "slo*"), [1]),
        (f("nps_comment", "NOT_CONTAINS_TOKEN", "support"), [1, 2]),
        (f("subject", "EQ", "DETRACTOR FOLLOW-UP"), [0, 1, 2, 3]),  # strings compare case-insensitively
    ],
)
def test_operators(api, scored, flt, expected):
    assert ids(api("POST", SEARCH.format("tickets"), where(flt))) == [scored[i]["id"] for i in expected]


def test_dates_compare_as_instants_given_epoch_ms_or_iso(api, scored):
    one_hour_in = "2026-03-02T10:00:00.000Z"
    by_iso = api("POST", SEARCH.format("tickets"), where(f("createdate", "GTE", one_hour_in)))
    by_ms = api("POST", SEARCH.format("tickets"), where(f("hs_lastmodifieddate", "GTE", "1772445600000")))
    assert ids(by_iso) == ids(by_ms) == [t["id"] for t in scored[1:]]


def test_or_between_groups_and_within(api, scored):
    body = {
        "filterGroups": [
            {"filters": [f("nps_score", "LTE", "6"), f("nps_comment", "CONTAINS_TOKEN", "slow")]},
            {"filters": [f("nps_score", "EQ", "10")]},
        ]
    }
    assert ids(api("POST", SEARCH.format("tickets"), body)) == [scored[1]["id"], scored[3]["id"]]


def test_sort_descending_and_missing_values_last(api, scored):
    desc = where(sorts=[{"propertyName": "nps_score", "direction": "DESCENDING"}])
    assert ids(api("POST", SEARCH.format("tickets"), desc)) == [t["id"] for t in reversed(scored)]
    by_comment = {"sorts": ["nps_comment"]}  # the SDK's string form
    assert ids(api("POST", SEARCH.format("tickets"), by_comment)) == [scored[i]["id"] for i in (3, 1, 0, 2)]
    assert api("POST", SEARCH.format("tickets"), {"sorts": ["subject", "createdate"]}).status == 400


def test_properties_total_and_paging(api, make_ticket):
    created = [make_ticket(nps_score=i)["id"] for i in range(25)]
    body = {"limit": 10, "properties": ["nps_score"], "sorts": [{"propertyName": "hs_object_id"}]}
    first = api("POST", SEARCH.format("tickets"), body).body
    assert first["total"] == 25
    assert first["paging"] == {"next": {"after": "10"}}
    assert set(first["results"][0]["properties"]) == {
        "hs_object_id",
        "createdate",
        "hs_lastmodifieddate",
        "nps_score",
    }
    seen, after = [], None
    while True:
        page = api("POST", SEARCH.format("tickets"), {**body, **({"after": after} if after else {})}).body
        seen += [r["id"] for r in page["results"]]
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
    assert seen == created
    assert len(ids(api("POST", SEARCH.format("tickets"), {}))) == 10  # default page size


def test_ten_thousand_result_cap(api, emulator):
    for _ in range(10_050):
        emulator.create("notes", {"hs_timestamp": "2026-03-01T00:00:00Z"})
    last_page = api("POST", SEARCH.format("notes"), {"limit": 200, "after": "9800"}).body
    assert last_page["total"] == 10_050
    assert last_page["paging"]["next"]["after"] == "10000"  # HubSpot still offers the cursor...
    beyond = api("POST", SEARCH.format("notes"), {"limit": 200, "after": "10000"})
    assert beyond.status == 400  # ...but refuses to page past 10,000
    assert beyond.body["category"] == "VALIDATION_ERROR"


def test_request_limits(api, scored):
    assert api("POST", SEARCH.format("tickets"), {"limit": 201}).status == 400
    six_groups = {"filterGroups": [{"filters": [f("nps_score", "HAS_PROPERTY")]}] * 6}
    assert api("POST", SEARCH.format("tickets"), six_groups).status == 400
    seven_filters = where(*[f("nps_score", "HAS_PROPERTY")] * 7)
    assert api("POST", SEARCH.format("tickets"), seven_filters).status == 400
    has = f("nps_score", "HAS_PROPERTY")
    nineteen = {"filterGroups": [{"filters": [has] * 5}] * 3 + [{"filters": [has] * 4}]}
    assert api("POST", SEARCH.format("tickets"), nineteen).status == 400
    assert api("POST", SEARCH.format("tickets"), where(f("no_such_prop", "EQ", "1"))).status == 400
    assert api("POST", SEARCH.format("tickets"), {"query": "x" * 3000}).status == 400


def test_archived_records_never_appear(api, scored):
    api("DELETE", f"/crm/v3/objects/tickets/{scored[0]['id']}")
    assert scored[0]["id"] not in ids(api("POST", SEARCH.format("tickets"), {"limit": 100}))


def test_association_pseudo_property(api, emulator, make_ticket, clock):
    ticket, other = make_ticket(), make_ticket()
    emulator.create("calls", {"hs_timestamp": "2026-03-02T08:00:00Z"}, [("tickets", ticket["id"])])
    clock.advance(7200)
    recent = emulator.create("calls", {"hs_timestamp": "2026-03-02T10:30:00Z"}, [("tickets", ticket["id"])])
    emulator.create("calls", {"hs_timestamp": "2026-03-02T10:30:00Z"}, [("tickets", other["id"])])
    body = where(
        f("associations.ticket", "EQ", ticket["id"]), f("hs_timestamp", "GTE", "2026-03-02T09:00:00Z")
    )
    assert ids(api("POST", SEARCH.format("calls"), body)) == [recent["id"]]


def test_search_rate_limit_per_second_without_headers(outbox, clock):
    limited = HubSpotEmulator(outbox, clock=clock)
    headers = {"Authorization": f"Bearer {limited.settings.access_token}"}

    def search():
        return limited.handle(SandboxRequest.from_url("POST", SEARCH.format("tickets"), headers, "{}"))

    answers = [search() for _ in range(6)]
    assert [a.status for a in answers] == [200] * 5 + [429]
    assert answers[-1].body["policyName"] == "SECONDLY"
    assert not any(h.lower().startswith("x-hubspot-ratelimit") for a in answers for h in a.headers)
    clock.advance(1.01)
    assert search().status == 200
