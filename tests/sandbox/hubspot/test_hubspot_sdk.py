"""hubspot-api-client 12 against the emulator over real HTTP (urllib3 cannot be mocked by ``responses``)."""

from __future__ import annotations

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import AssociationSpec
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.exceptions import ApiException
from hubspot.marketing.transactional import PublicSingleSendEmail, PublicSingleSendRequestEgg

from sandbox.hubspot import HubSpotEmulator

STAGE = {"subject": "Detractor", "hs_pipeline": "0", "hs_pipeline_stage": "1"}


def test_create_with_association_and_read_back(client: HubSpot, emulator: HubSpotEmulator):
    contact = emulator.create("contacts", {"email": "pat@example.com"})
    spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 16}
    created = client.crm.objects.basic_api.create(
        "tickets",
        SimplePublicObjectInputForCreate(
            properties={**STAGE, "nps_score": "2"},
            associations=[{"to": {"id": contact["id"]}, "types": [spec]}],
        ),
    )
    fetched = client.crm.objects.basic_api.get_by_id(
        "tickets", created.id, properties=["nps_score"], associations=["contacts"]
    )
    assert fetched.properties["nps_score"] == "2"
    assert fetched.created_at.year == 2026
    assert [(a.id, a.type) for a in fetched.associations["contacts"].results] == [
        (contact["id"], "ticket_to_contact")
    ]


def test_list_paging(client: HubSpot, make_ticket):
    made = [make_ticket()["id"] for _ in range(15)]
    basic = client.crm.objects.basic_api
    first = basic.get_page("tickets", limit=10)
    second = basic.get_page("tickets", limit=10, after=first.paging.next.after)
    assert [r.id for r in first.results + second.results] == made
    assert second.paging is None


def test_search_filters_sorts_and_paging(client: HubSpot, make_ticket):
    for score in (9, 2, 5, 0):
        make_ticket(nps_score=score)
    request = PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=[Filter(property_name="nps_score", operator="LTE", value="6")])],
        sorts=[{"propertyName": "nps_score", "direction": "ASCENDING"}],
        properties=["nps_score"],
        limit=2,
    )
    page = client.crm.objects.search_api.do_search("tickets", public_object_search_request=request)
    assert page.total == 3
    assert [r.properties["nps_score"] for r in page.results] == ["0", "2"]
    request.after = page.paging.next.after
    rest = client.crm.objects.search_api.do_search("tickets", public_object_search_request=request)
    assert [r.properties["nps_score"] for r in rest.results] == ["5"]


def test_feedback_submissions_typed_client(client: HubSpot, emulator: HubSpotEmulator):
    emulator.create("feedback_submissions", {"hs_value": "3", "hs_survey_type": "NPS", "hs_content": "meh"})
    request = PublicObjectSearchRequest(
        filter_groups=[
            FilterGroup(filters=[Filter(property_name="hs_survey_type", operator="EQ", value="NPS")])
        ],
        properties=["hs_value", "hs_content"],
    )
    found = client.crm.objects.feedback_submissions.search_api.do_search(public_object_search_request=request)
    assert [(r.properties["hs_value"], r.properties["hs_content"]) for r in found.results] == [("3", "meh")]


def test_batch_upsert_new_then_existing(client: HubSpot, emulator: HubSpotEmulator):
    batch = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[SimplePublicObjectBatchInputUpsert(id_property="crm_sync_key", id="nps-9", properties=STAGE)]
    )
    first = client.crm.objects.batch_api.upsert("tickets", batch)
    second = client.crm.objects.batch_api.upsert("tickets", batch)
    assert [r.new for r in first.results] == [True]
    assert [r.new for r in second.results] == [False]
    assert first.results[0].id == second.results[0].id
    assert len(emulator.objects("tickets")) == 1


def test_batch_create_partial_failure_is_207_with_errors(client: HubSpot):
    batch = BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[
            SimplePublicObjectBatchInputForCreate(properties=STAGE, object_write_trace_id="good"),
            SimplePublicObjectBatchInputForCreate(
                properties={**STAGE, "nope": "x"}, object_write_trace_id="bad"
            ),
        ]
    )
    answer = client.crm.objects.batch_api.create("tickets", batch)
    assert answer.num_errors == 1
    assert answer.errors[0].context == {"objectWriteTraceId": ["bad"]}
    assert len(answer.results) == 1


def test_associations_v4(client: HubSpot, emulator: HubSpotEmulator, make_ticket):
    ticket = make_ticket()
    call = emulator.create("calls", {"hs_timestamp": "2026-03-02T09:00:00Z", "hs_call_status": "COMPLETED"})
    client.crm.associations.v4.basic_api.create(
        "calls", call["id"], "tickets", ticket["id"], [AssociationSpec("HUBSPOT_DEFINED", 220)]
    )
    page = client.crm.associations.v4.basic_api.get_page("tickets", ticket["id"], "calls")
    assert [(r.to_object_id, [t.type_id for t in r.association_types]) for r in page.results] == [
        (call["id"], [219])
    ]


def test_owners_and_pipelines(client: HubSpot, emulator: HubSpotEmulator):
    owner = emulator.seed_owner("ba@example.com", "Bea", "Analyst", ["BPA"])
    owners = client.crm.owners.owners_api.get_page(email="ba@example.com")
    assert [(o.id, o.teams[0].name, o.teams[0].primary) for o in owners.results] == [
        (owner["id"], "BPA", True)
    ]
    pipelines = client.crm.pipelines.pipelines_api.get_all("tickets")
    customer_success = next(p for p in pipelines.results if p.label == "Customer Success")
    assert customer_success.stages[0].label == "New"


def test_transactional_send(client: HubSpot, outbox):
    egg = PublicSingleSendRequestEgg(
        email_id=11,
        message=PublicSingleSendEmail(to="pat@example.com", send_id="once"),
        custom_properties={"a": 1},
    )
    api = client.marketing.transactional.single_send_api
    assert api.send_email(public_single_send_request_egg=egg).status == "PENDING"
    assert api.send_email(public_single_send_request_egg=egg).status == "PENDING"
    assert len(outbox.emails) == 1


def test_errors_surface_as_api_exceptions(client: HubSpot, emulator: HubSpotEmulator, base_url: str, clock):
    with pytest.raises(ApiException) as missing:
        client.crm.objects.basic_api.get_by_id("tickets", "12345")
    assert missing.value.status == 404

    bad_token = HubSpot(access_token="pat-wrong", host=base_url)
    with pytest.raises(ApiException) as unauthorized:
        bad_token.crm.objects.basic_api.get_page("tickets")
    assert unauthorized.value.status == 401

    clock.advance(10.01)  # the 404 above leaves the window
    emulator.settings.rate_limit_per_10s = 1
    client.crm.objects.basic_api.get_page("tickets")  # fills the (now tiny) window
    with pytest.raises(ApiException) as limited:
        client.crm.objects.basic_api.get_page("tickets")
    assert limited.value.status == 429
    assert json.loads(limited.value.body)["policyName"] == "TEN_SECONDLY_ROLLING"
    assert limited.value.headers["X-HubSpot-RateLimit-Max"] == "1"
