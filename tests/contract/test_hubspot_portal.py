"""HubSpot portal configuration: owners with teams, ticket pipelines."""

from __future__ import annotations

import pytest
from hubspot import HubSpot

from tests.contract.conftest import Backdoor, HsCall


@pytest.mark.documented("https://developers.hubspot.com/docs/api/crm/owners (crm/v3/owners with teams[] and a primary flag)")
def test_owners_carry_teams_with_a_primary_flag(hs: HubSpot, backdoor: Backdoor) -> None:
    ana = backdoor.hubspot_owner("ana@contract.test", "Ana", "Lyst", ["Customer Success", "BPA"])
    backdoor.hubspot_owner("bo@contract.test", "Bo", "Zed", ["Customer Success Managers"])
    owners = hs.crm.owners.owners_api.get_page(limit=100).results
    assert {o.email for o in owners} == {"ana@contract.test", "bo@contract.test"}
    found = hs.crm.owners.owners_api.get_page(email="ana@contract.test").results
    assert [o.id for o in found] == [ana["id"]]
    teams = {t.name: t.primary for t in found[0].teams}
    assert teams == {"Customer Success": True, "BPA": False}
    by_id = hs.crm.owners.owners_api.get_by_id(int(ana["id"]))
    assert by_id.email == "ana@contract.test"


@pytest.mark.documented("https://developers.hubspot.com/docs/api/settings/user-provisioning (settings/v3/users/teams with userIds)")
def test_teams_list_members(hs_call: HsCall, backdoor: Backdoor) -> None:
    owner = backdoor.hubspot_owner("cy@contract.test", "Cy", "Lyst", ["BPA"])
    teams = {t["name"]: t for t in hs_call("GET", "settings/v3/users/teams").json()["results"]}
    assert str(owner["userId"]) in teams["BPA"]["userIds"]


@pytest.mark.documented("https://developers.hubspot.com/docs/api/crm/pipelines (crm/v3/pipelines/tickets: stages with metadata.ticketState)")
def test_ticket_pipelines_and_stages(hs_call: HsCall) -> None:
    pipelines = hs_call("GET", "crm/v3/pipelines/tickets").json()["results"]
    assert pipelines
    for pipeline in pipelines:
        assert pipeline["id"] and pipeline["label"]
        assert all(s["id"] and s["label"] and "ticketState" in s["metadata"] for s in pipeline["stages"])
    default = next(p for p in pipelines if p["id"] == "0")
    stage = default["stages"][0]["id"]
    created = hs_call(
        "POST",
        "crm/v3/objects/tickets",
        json={"properties": {"subject": "No pipeline", "hs_pipeline_stage": stage}},
    )
    assert created.status_code == 201, created.text
    assert created.json()["properties"]["hs_pipeline"] == "0"


@pytest.mark.guessed("HubSpot says a ticket's stage belongs to its pipeline (https://developers.hubspot.com/docs/api/crm/pipelines); the answer to a stage of another pipeline (400 VALIDATION_ERROR) is not documented")
def test_stage_of_another_pipeline_is_refused(hs_call: HsCall) -> None:
    pipelines = hs_call("GET", "crm/v3/pipelines/tickets").json()["results"]
    other = next(p for p in pipelines if p["id"] != "0")
    props = {"subject": "Mismatch", "hs_pipeline": "0", "hs_pipeline_stage": other["stages"][0]["id"]}
    answer = hs_call("POST", "crm/v3/objects/tickets", json={"properties": props})
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR"


@pytest.mark.documented("HubSpot's published spec CRM/Crm Owners (an owner's type is PERSON or QUEUE; GET crm/v3/owners pages 100 owners by default)")
def test_owners_are_people_or_queues_and_page_100_by_default(hs_call: HsCall, backdoor: Backdoor) -> None:
    backdoor.hubspot_owner("queue@contract.test", "Support", "Queue", ["Customer Success"], "QUEUE")
    for n in range(100):
        backdoor.hubspot_owner(f"p{n}@contract.test", "P", str(n), ["Customer Success"])

    first = hs_call("GET", "crm/v3/owners").json()
    rest = hs_call("GET", "crm/v3/owners", params={"after": first["paging"]["next"]["after"]}).json()

    owners = first["results"] + rest["results"]
    assert (len(first["results"]), len(owners)) == (100, 101)
    assert {o["type"] for o in owners} == {"PERSON", "QUEUE"}
    assert all("userId" in o for o in owners if o["type"] == "PERSON")
