"""HubSpot CRM search: filter groups, sorting, paging, the 200-per-page and 10,000-result caps.

Against a live portal, wait for the search index after seeding (HubSpot documents a lag).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import Backdoor, HsCall, hs_search


def seed_people(hs_call: HsCall) -> dict[str, str]:
    """Five contacts through the batch create API; returns email -> id."""
    people = [
        ("ana@contract.test", "Ana", "Lyst", "customer"),
        ("bo@contract.test", "Bo", "Zed", "lead"),
        ("cy@contract.test", "Cy", "Lyst", "customer"),
        ("di@contract.test", "Di", "Moor", "customer"),
        ("ed@contract.test", "Ed", "Zed", "other"),
    ]
    inputs = [
        {"properties": {"email": e, "firstname": f, "lastname": ln, "lifecyclestage": s}}
        for e, f, ln, s in people
    ]
    answer = hs_call("POST", "crm/v3/objects/contacts/batch/create", json={"inputs": inputs})
    assert answer.status_code == 201, answer.text
    return {r["properties"]["email"]: r["id"] for r in answer.json()["results"]}


def eq(name: str, value: str) -> dict[str, str]:
    return {"propertyName": name, "operator": "EQ", "value": value}


def emails(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r["properties"]["email"] for r in answer.json()["results"]]


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/search/guide (OR between filterGroups, AND within one)")
def test_filter_groups_are_or_and_filters_are_and(hs_call: HsCall) -> None:
    seed_people(hs_call)
    body = {
        "filterGroups": [
            {"filters": [eq("lifecyclestage", "customer"), eq("lastname", "Lyst")]},
            {"filters": [eq("firstname", "Ed")]},
        ],
        "properties": ["email"],
    }
    assert sorted(emails(hs_search(hs_call, "contacts", body))) == [
        "ana@contract.test",
        "cy@contract.test",
        "ed@contract.test",
    ]


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/search/guide (one sort rule; paging.next.after)")
def test_one_sort_and_after_paging(hs_call: HsCall) -> None:
    seed_people(hs_call)
    body: dict[str, Any] = {
        "sorts": [{"propertyName": "firstname", "direction": "DESCENDING"}],
        "properties": ["email", "firstname"],
        "limit": 2,
    }
    order: list[str] = []
    while True:
        answer = hs_search(hs_call, "contacts", body)
        order += emails(answer)
        assert answer.json()["total"] == 5
        following = answer.json().get("paging", {}).get("next")
        if not following:
            break
        body["after"] = following["after"]
    assert [e.split("@")[0] for e in order] == ["ed", "di", "cy", "bo", "ana"]


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/search/guide (only one sorting rule per search)")
def test_two_sorts_are_refused(hs_call: HsCall) -> None:
    body = {"sorts": [{"propertyName": "firstname"}, {"propertyName": "lastname"}]}
    assert hs_search(hs_call, "contacts", body).status_code == 400


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/search/guide (archived records never appear in search results)")
def test_archived_records_never_match(hs_call: HsCall) -> None:
    ids = seed_people(hs_call)
    assert hs_call("DELETE", f"crm/v3/objects/contacts/{ids['bo@contract.test']}").status_code == 204
    body = {"filterGroups": [{"filters": [eq("lastname", "Zed")]}], "properties": ["email"]}
    assert emails(hs_search(hs_call, "contacts", body)) == ["ed@contract.test"]


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/search/guide (Limits: 200 per page, 10,000 results)")
def test_page_size_cap_and_the_10000_result_cap(hs_call: HsCall, backdoor: Backdoor) -> None:
    # 10,050 contacts are seeded through the emulator helper: the check is only about paging.
    backdoor.hubspot_records("contacts", ({"email": f"bulk{i}@contract.test"} for i in range(10_050)))
    full = hs_search(hs_call, "contacts", {"limit": 200, "properties": ["email"]})
    assert len(emails(full)) == 200
    assert full.json()["total"] >= 10_000
    assert hs_search(hs_call, "contacts", {"limit": 201}).status_code == 400
    last = hs_search(hs_call, "contacts", {"limit": 200, "after": "9800", "properties": ["email"]})
    assert len(emails(last)) == 200
    beyond = hs_search(hs_call, "contacts", {"limit": 200, "after": "10000"})
    assert beyond.status_code == 400
    assert beyond.json()["status"] == "error"


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/search/guide (default page size 10)")
def test_default_page_is_10(hs_call: HsCall, backdoor: Backdoor) -> None:
    backdoor.hubspot_records("contacts", ({"email": f"p{i}@contract.test"} for i in range(15)))
    answer = hs_search(hs_call, "contacts", {})
    assert len(answer.json()["results"]) == 10
    assert answer.json()["paging"]["next"]["after"]
