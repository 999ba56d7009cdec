"""Owners with teams, settings teams, ticket pipelines and property definitions."""

from __future__ import annotations


def test_seeded_owner_as_owners_api_shows_it(api, emulator):
    owner = emulator.seed_owner("ana@example.com", "Ana", "Lyst", ["BPA", "Customer Success"])
    assert owner["teams"] == [
        {"id": "4480103", "name": "BPA", "primary": True},
        {"id": "4480101", "name": "Customer Success", "primary": False},
    ]
    fetched = api("GET", f"/crm/v3/owners/{owner['id']}")
    assert fetched.status == 200 and fetched.body == owner
    assert {
        "id",
        "email",
        "firstName",
        "lastName",
        "userId",
        "createdAt",
        "updatedAt",
        "archived",
    } <= owner.keys()
    by_user = api("GET", f"/crm/v3/owners/{owner['userId']}?idProperty=userId")
    assert by_user.body["id"] == owner["id"]
    assert api("GET", "/crm/v3/owners/1").status == 404


def test_owner_list_pages_and_filters_by_email(api, emulator):
    owners = [emulator.seed_owner(f"o{i}@example.com", "O", str(i), ["Customer Success"]) for i in range(5)]
    first = api("GET", "/crm/v3/owners/?limit=2").body
    assert [o["id"] for o in first["results"]] == [o["id"] for o in owners[:2]]
    rest = api("GET", f"/crm/v3/owners/?limit=10&after={first['paging']['next']['after']}").body
    assert [o["id"] for o in rest["results"]] == [o["id"] for o in owners[2:]]
    assert "paging" not in rest
    assert [o["id"] for o in api("GET", "/crm/v3/owners?email=O3@example.com").body["results"]] == [
        owners[3]["id"]
    ]


def test_teams_exist_without_owners_and_list_members(api, emulator):
    names = [t["name"] for t in api("GET", "/settings/v3/users/teams").body["results"]]
    assert names == ["Customer Success", "Customer Success Managers", "BPA"]
    owner = emulator.seed_owner("m@example.com", "M", "Gr", ["Customer Success Managers", "BPA"])
    teams = {t["name"]: t for t in api("GET", "/settings/v3/users/teams").body["results"]}
    assert teams["Customer Success Managers"]["userIds"] == [str(owner["userId"])]
    assert teams["BPA"]["secondaryUserIds"] == [str(owner["userId"])]


def test_ticket_pipelines_with_stages(api):
    pipelines = api("GET", "/crm/v3/pipelines/tickets").body["results"]
    by_label = {p["label"]: p for p in pipelines}
    assert set(by_label) == {"Support Pipeline", "Customer Success"}
    stages = [s["label"] for s in by_label["Customer Success"]["stages"]]
    assert stages[0] == "New" and "Waiting on contact" in stages and "Closed" in stages
    one = api("GET", f"/crm/v3/pipelines/tickets/{by_label['Customer Success']['id']}")
    assert one.status == 200 and one.body == by_label["Customer Success"]
    assert one.body["stages"][0]["metadata"] == {"ticketState": "OPEN"}
    assert api("GET", "/crm/v3/pipelines/tickets/nope").status == 404
    assert api("GET", "/crm/v3/pipelines/contacts").status == 400


def test_custom_properties(api, emulator):
    key = api("GET", "/crm/v3/properties/tickets/crm_sync_key").body
    assert key["hasUniqueValue"] is True and key["hubspotDefined"] is False
    names = {p["name"] for p in api("GET", "/crm/v3/properties/tickets").body["results"]}
    assert {"nps_score", "nps_comment", "crm_sync_key", "subject", "hs_pipeline_stage"} <= names
    owner = emulator.seed_owner("ba@example.com", "Bea", "Analyst", ["BPA"])
    analyst = api("GET", "/crm/v3/properties/companies/cs_business_analyst").body
    assert analyst["referencedObjectType"] == "OWNER"
    assert [o["value"] for o in analyst["options"]] == [owner["id"]]
    assert api("GET", "/crm/v3/properties/tickets/nope").status == 404
    feedback = {p["name"] for p in api("GET", "/crm/v3/properties/feedback_submissions").body["results"]}
    assert {
        "hs_value",
        "hs_survey_type",
        "hs_content",
        "hs_submission_timestamp",
        "hs_contact_id",
    } <= feedback


def test_private_app_token_info(api, emulator):
    info = api(
        "POST", "/oauth/v2/private-apps/get/access-token-info", {"tokenKey": emulator.settings.access_token}
    )
    assert info.status == 200 and "tickets" in info.body["scopes"]
    assert (
        api("POST", "/oauth/v2/private-apps/get/access-token-info", {"tokenKey": "x"}, token=None).status
        == 401
    )
