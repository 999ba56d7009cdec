"""crm/v3/objects basics: auth, CRUD, list paging, properties, associations on read, validation."""

from __future__ import annotations

import json

import pytest

from sandbox.hubspot import HubSpotEmulator

STAGE = {"subject": "s", "hs_pipeline": "0", "hs_pipeline_stage": "1"}


@pytest.mark.parametrize("token", [None, "pat-wrong"])
def test_missing_or_wrong_token_is_401_in_hubspot_shape(api, token):
    response = api("GET", "/crm/v3/objects/tickets", token=token)
    assert response.status == 401
    assert response.body["status"] == "error"
    assert response.body["category"] == "INVALID_AUTHENTICATION"
    assert response.body["correlationId"]
    assert not any(h.startswith("X-HubSpot-RateLimit") for h in response.headers)


def test_handles_only_hubspot_paths(emulator):
    assert emulator.handles("/crm/v3/objects/tickets")
    assert emulator.handles("/marketing/v3/transactional/single-email/send")
    assert emulator.handles("/oauth/v2/private-apps/get/access-token-info")
    assert not emulator.handles("/services/data/v60.0/query")


def test_create_maintains_server_properties_from_clock(api, clock):
    response = api("POST", "/crm/v3/objects/tickets", {"properties": {**STAGE, "nps_score": 3}})
    assert response.status == 201
    body = response.body
    props = body["properties"]
    assert props["hs_object_id"] == body["id"]
    assert props["createdate"] == props["hs_createdate"] == "2026-03-02T09:00:00.000Z"
    assert props["hs_lastmodifieddate"] == body["updatedAt"] == body["createdAt"]
    assert props["nps_score"] == "3"  # values come back as strings
    assert body["archived"] is False

    clock.advance(61.5)
    updated = api(
        "PATCH", f"/crm/v3/objects/tickets/{body['id']}", {"properties": {"hs_pipeline_stage": "2"}}
    )
    assert updated.status == 200
    assert updated.body["properties"]["hs_lastmodifieddate"] == "2026-03-02T09:01:01.500Z"
    assert updated.body["properties"]["createdate"] == "2026-03-02T09:00:00.000Z"


def test_get_returns_default_properties_or_requested_ones(api, make_ticket):
    ticket = make_ticket(nps_comment="slow support")
    default = api("GET", f"/crm/v3/objects/tickets/{ticket['id']}").body["properties"]
    assert "subject" in default and "nps_comment" not in default
    picked = api("GET", f"/crm/v3/objects/tickets/{ticket['id']}?properties=nps_comment,nps_score").body
    assert picked["properties"]["nps_comment"] == "slow support"
    assert picked["properties"]["nps_score"] is None
    assert {"hs_object_id", "createdate", "hs_lastmodifieddate"} <= picked["properties"].keys()


def test_list_pages_with_after_cursor_and_link(api, make_ticket):
    ids = [make_ticket()["id"] for _ in range(25)]
    seen, after, pages = [], None, 0
    while True:
        response = api("GET", "/crm/v3/objects/tickets?limit=10" + (f"&after={after}" if after else ""))
        seen += [r["id"] for r in response.body["results"]]
        pages += 1
        paging = response.body.get("paging")
        if not paging:
            break
        after = paging["next"]["after"]
        assert f"after={after}" in paging["next"]["link"]
    assert seen == ids
    assert pages == 3


def test_list_limit_above_100_is_refused(api):
    assert api("GET", "/crm/v3/objects/tickets?limit=101").status == 400


def test_associations_on_read_from_both_sides(emulator, api, make_ticket):
    contact = emulator.create("contacts", {"email": "pat@example.com"})
    company = emulator.create("companies", {"name": "Acme"})
    api(
        "PUT",
        f"/crm/v4/objects/contacts/{contact['id']}/associations/companies/{company['id']}",
        [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 1}],
    )
    ticket = make_ticket(associations=[("contacts", contact["id"])])

    read = api("GET", f"/crm/v3/objects/tickets/{ticket['id']}?associations=contacts,companies").body
    assert read["associations"] == {
        "contacts": {"results": [{"id": contact["id"], "type": "ticket_to_contact"}]}
    }

    contact_view = api(
        "GET", f"/crm/v3/objects/contacts/{contact['id']}?associations=tickets&associations=company"
    )
    assert contact_view.body["associations"]["tickets"]["results"] == [
        {"id": ticket["id"], "type": "contact_to_ticket"}
    ]
    assert contact_view.body["associations"]["companies"]["results"] == [
        {"id": company["id"], "type": "contact_to_company"},
        {"id": company["id"], "type": "contact_to_company_unlabeled"},
    ]


def test_inline_associations_on_create_are_validated(emulator, api):
    contact = emulator.create("contacts", {"email": "pat@example.com"})

    def create(type_id: int, to_id: str) -> int:
        assoc = [
            {
                "to": {"id": to_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
            }
        ]
        return api("POST", "/crm/v3/objects/tickets", {"properties": STAGE, "associations": assoc}).status

    assert create(16, contact["id"]) == 201
    assert create(16, "999") == 400  # no such contact
    assert create(230, contact["id"]) == 400  # task → ticket cannot start from a ticket
    assert len(emulator.objects("tickets")) == 1


def test_archive_hides_from_list_and_get_but_archived_lists_it(api, make_ticket):
    ticket = make_ticket()
    assert api("DELETE", f"/crm/v3/objects/tickets/{ticket['id']}").status == 204
    assert api("GET", "/crm/v3/objects/tickets").body["results"] == []
    assert api("GET", f"/crm/v3/objects/tickets/{ticket['id']}").status == 404
    archived = api("GET", "/crm/v3/objects/tickets?archived=true").body["results"]
    assert [(r["id"], r["archived"]) for r in archived] == [(ticket["id"], True)]
    assert archived[0]["archivedAt"]


def test_unknown_property_is_400_property_doesnt_exist(api):
    response = api("POST", "/crm/v3/objects/tickets", {"properties": {**STAGE, "nps_scroe": "3"}})
    assert response.status == 400
    assert response.body["category"] == "VALIDATION_ERROR"
    assert response.body["message"].startswith("Property values were not valid: ")
    listed = json.loads(response.body["message"].removeprefix("Property values were not valid: "))
    assert listed[0]["error"] == "PROPERTY_DOESNT_EXIST" and listed[0]["name"] == "nps_scroe"
    assert response.body["errors"][0]["context"] == {"propertyName": ["nps_scroe"]}


def test_required_ticket_properties_and_stage_of_pipeline(api):
    missing = api("POST", "/crm/v3/objects/tickets", {"properties": {"hs_pipeline": "0"}})
    assert missing.status == 400
    assert {e["context"]["propertyName"][0] for e in missing.body["errors"]} == {
        "subject",
        "hs_pipeline_stage",
    }
    # the "New" stage of the Customer Success pipeline is not a stage of the Support Pipeline
    wrong_stage = api(
        "POST", "/crm/v3/objects/tickets", {"properties": {**STAGE, "hs_pipeline_stage": "52813291"}}
    )
    assert wrong_stage.status == 400
    defaulted = api(
        "POST", "/crm/v3/objects/tickets", {"properties": {"subject": "s", "hs_pipeline_stage": "1"}}
    )
    assert defaulted.body["properties"]["hs_pipeline"] == "0"


def test_typed_values_are_checked_and_normalised(api, emulator):
    owner = emulator.seed_owner("ba@example.com", "Bea", "Analyst", ["BPA"])
    assert api("POST", "/crm/v3/objects/tickets", {"properties": {**STAGE, "nps_score": "ten"}}).status == 400
    assert (
        api("POST", "/crm/v3/objects/tickets", {"properties": {**STAGE, "hs_ticket_priority": "P1"}}).status
        == 400
    )
    assert (
        api("POST", "/crm/v3/objects/companies", {"properties": {"cs_business_analyst": "42"}}).status == 400
    )
    company = api("POST", "/crm/v3/objects/companies", {"properties": {"cs_business_analyst": owner["id"]}})
    assert company.status == 201
    task = api("POST", "/crm/v3/objects/tasks", {"properties": {"hs_timestamp": 1772442000000}})
    assert task.body["properties"]["hs_timestamp"] == "2026-03-02T09:00:00.000Z"


def test_unique_value_get_by_id_property_and_duplicate_refused(api, make_ticket):
    ticket = make_ticket(crm_sync_key="nps-1")
    found = api("GET", "/crm/v3/objects/tickets/nps-1?idProperty=crm_sync_key")
    assert found.status == 200 and found.body["id"] == ticket["id"]
    duplicate = api("POST", "/crm/v3/objects/tickets", {"properties": {**STAGE, "crm_sync_key": "nps-1"}})
    assert duplicate.status == 400
    assert "already has that value" in duplicate.body["message"]
    assert api("GET", "/crm/v3/objects/tickets/x?idProperty=subject").status == 400  # not a unique property


def test_duplicate_contact_email_is_409_conflict(api):
    assert api("POST", "/crm/v3/objects/contacts", {"properties": {"email": "a@example.com"}}).status == 201
    conflict = api("POST", "/crm/v3/objects/contacts", {"properties": {"email": "A@example.com"}})
    assert conflict.status == 409
    assert conflict.body["category"] == "CONFLICT"
    assert conflict.body["message"].startswith("Contact already exists. Existing ID: ")


def test_feedback_submissions_are_read_only_but_seedable(emulator: HubSpotEmulator, api):
    contact = emulator.create("contacts", {"email": "pat@example.com"})
    seeded = emulator.create(
        "feedback_submissions",
        {
            "hs_value": "3",
            "hs_survey_type": "NPS",
            "hs_contact_id": contact["id"],
            "hs_createdate": "2026-03-01",
        },
        [("contacts", contact["id"])],
    )
    assert seeded["createdAt"] == "2026-03-01T00:00:00.000Z"
    listed = api("GET", "/crm/v3/objects/feedback_submissions?associations=contacts").body["results"]
    assert listed[0]["associations"]["contacts"]["results"] == [
        {"id": contact["id"], "type": "feedback_submission_to_contact"}
    ]
    assert (
        api("POST", "/crm/v3/objects/feedback_submissions", {"properties": {"hs_value": "9"}}).status == 400
    )
    assert api("DELETE", f"/crm/v3/objects/feedback_submissions/{seeded['id']}").status == 400
    assert api("GET", "/crm/v3/objects/0-19").status == 200  # object type ids work too


def test_unknown_object_type_and_route(api):
    unknown = api("GET", "/crm/v3/objects/widgets")
    assert unknown.status == 400
    assert unknown.body["message"] == "Unable to infer object type from: widgets"
    assert api("GET", "/crm/v3/nothing-here").status == 404
    assert api("PUT", "/crm/v3/objects/tickets").status == 405
