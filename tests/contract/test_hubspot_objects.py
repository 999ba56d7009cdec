"""HubSpot CRM objects: list paging, batch writes with 207 partial failures, inline associations, errors."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectInputForCreate,
)

from tests.contract.conftest import Backdoor, HsCall

TICKET = {"subject": "Detractor follow-up", "hs_pipeline": "0", "hs_pipeline_stage": "1"}


def make_contacts(hs: HubSpot, count: int, prefix: str = "c") -> list[str]:
    """Contacts through the batch create API (≤ 100 per call)."""
    inputs = [
        SimplePublicObjectBatchInputForCreate(properties={"email": f"{prefix}{i}@contract.test"})
        for i in range(count)
    ]
    made = hs.crm.objects.batch_api.create(
        "contacts", BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs)
    )
    return [r.id for r in made.results]


def test_list_pages_with_after_cursor(hs: HubSpot) -> None:
    # HubSpot docs: "List endpoint": up to 100 per page, paged by paging.next.after until it is absent.
    made = make_contacts(hs, 25)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = hs.crm.objects.basic_api.get_page("contacts", limit=10, after=after)
        pages += 1
        seen += [r.id for r in page.results]
        if page.paging is None or page.paging.next is None:
            break
        after = page.paging.next.after
    assert pages == 3
    assert sorted(seen) == sorted(made)


def test_batch_create_with_trace_ids_answers_207(hs_call: HsCall) -> None:
    # HubSpot docs: "Batch create": objectWriteTraceId per input enables 207 partial results with
    # errors[].context.objectWriteTraceId.
    inputs = [
        {"properties": TICKET, "objectWriteTraceId": "good"},
        {"properties": {**TICKET, "hs_pipeline_stage": "no-such-stage"}, "objectWriteTraceId": "bad"},
    ]
    answer = hs_call("POST", "crm/v3/objects/tickets/batch/create", json={"inputs": inputs})
    assert answer.status_code == 207
    body = answer.json()
    assert body["status"] == "COMPLETE"
    assert len(body["results"]) == 1
    assert body["numErrors"] == 1
    assert body["errors"][0]["context"]["objectWriteTraceId"] == ["bad"]
    assert body["errors"][0]["category"]


def test_batch_upsert_by_unique_property(hs_call: HsCall) -> None:
    # HubSpot docs: "Idempotency": batch/upsert with idProperty on a unique property creates or updates.
    def upsert(name: str) -> dict[str, object]:
        item = {"idProperty": "email", "id": "pat@contract.test", "properties": {"firstname": name}}
        answer = hs_call("POST", "crm/v3/objects/contacts/batch/upsert", json={"inputs": [item]})
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["results"][0])

    created, updated = upsert("Pat"), upsert("Patricia")
    assert created["id"] == updated["id"]
    assert (created["new"], updated["new"]) == (True, False)
    assert updated["properties"]["firstname"] == "Patricia"  # type: ignore[index]


def test_batch_upsert_partial_failure_answers_207(hs_call: HsCall) -> None:
    # HubSpot docs: "Batch create" (and upsert: SDK BatchInputUpsert): trace ids give per-input 207 errors.
    inputs = [
        {"idProperty": "email", "id": "ok@contract.test", "properties": {}, "objectWriteTraceId": "1"},
        {
            "idProperty": "email",
            "id": "bad@contract.test",
            "properties": {"no_such_property": "x"},
            "objectWriteTraceId": "2",
        },
    ]
    answer = hs_call("POST", "crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs})
    assert answer.status_code == 207
    assert [e["context"]["objectWriteTraceId"] for e in answer.json()["errors"]] == [["2"]]


def test_inline_associations_on_create(hs: HubSpot, hs_call: HsCall) -> None:
    # HubSpot docs: "Create with associations": HUBSPOT_DEFINED ticket→contact 16, ticket→company 339.
    contact = make_contacts(hs, 1)[0]
    company = hs.crm.objects.basic_api.create(
        "companies", SimplePublicObjectInputForCreate(properties={"name": "Acme"})
    ).id
    ticket = hs.crm.objects.basic_api.create(
        "tickets",
        SimplePublicObjectInputForCreate(
            properties=TICKET,
            associations=[
                {
                    "to": {"id": contact},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 16}],
                },
                {
                    "to": {"id": company},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 339}],
                },
            ],
        ),
    ).id
    fetched = hs.crm.objects.basic_api.get_by_id("tickets", ticket, associations=["contacts", "companies"])
    assert {a.id for a in fetched.associations["contacts"].results} == {contact}
    assert {a.id for a in fetched.associations["companies"].results} == {company}
    # HubSpot docs: association table / SDK enum: the reverse side is contact→ticket 15.
    reverse = hs_call("GET", f"crm/v4/objects/contacts/{contact}/associations/tickets").json()["results"]
    assert [r["toObjectId"] for r in reverse] == [int(ticket)]
    assert 15 in {t["typeId"] for t in reverse[0]["associationTypes"]}


def test_feedback_submissions_are_read_only(hs: HubSpot, hs_call: HsCall, backdoor: Backdoor) -> None:
    # HubSpot docs: : "This API is read-only"; submissions link to their contact (type 98).
    contact = make_contacts(hs, 1)[0]
    submission = backdoor.feedback_submission({"hs_survey_type": "NPS", "hs_value": "4"}, contact)
    read = hs.crm.objects.basic_api.get_by_id(
        "feedback_submissions",
        submission,
        properties=["hs_value", "hs_contact_id"],
        associations=["contacts"],
    )
    assert read.properties["hs_value"] == "4"
    assert read.properties["hs_contact_id"] == contact
    assert [a.id for a in read.associations["contacts"].results] == [contact]
    refused = hs_call("POST", "crm/v3/objects/feedback_submissions", json={"properties": {"hs_value": "9"}})
    assert 400 <= refused.status_code < 500


def test_error_body_shape(hs_call: HsCall) -> None:
    # HubSpot docs: "Error body": {status: "error", message, correlationId, category[, errors, context]}.
    missing = hs_call("GET", "crm/v3/objects/contacts/987654321")
    assert missing.status_code == 404
    body = missing.json()
    assert body["status"] == "error"
    assert body["message"]
    assert body["correlationId"]
    assert body["category"] == "OBJECT_NOT_FOUND"


def test_unknown_property_is_property_doesnt_exist(hs_call: HsCall) -> None:
    # HubSpot docs: "Error body": an unknown property is 400 PROPERTY_DOESNT_EXIST in errors[].code.
    answer = hs_call("POST", "crm/v3/objects/contacts", json={"properties": {"favourite_colour": "red"}})
    assert answer.status_code == 400
    body = answer.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert body["errors"][0]["context"]["propertyName"] == ["favourite_colour"]


def test_duplicate_contact_email_is_409_conflict(hs_call: HsCall) -> None:
    # HubSpot docs: "Duplicate create": 409 category CONFLICT, "Contact already exists. Existing ID: …".
    first = hs_call("POST", "crm/v3/objects/contacts", json={"properties": {"email": "twin@contract.test"}})
    second = hs_call("POST", "crm/v3/objects/contacts", json={"properties": {"email": "twin@contract.test"}})
    assert second.status_code == 409
    assert second.json()["category"] == "CONFLICT"
    assert f"Existing ID: {first.json()['id']}" in second.json()["message"]


def test_bad_token_is_401(hs_call: HsCall) -> None:
    # HubSpot docs: "Error body": authentication failures use the same error shape.
    answer = hs_call("GET", "crm/v3/objects/contacts", headers={"Authorization": "Bearer pat-wrong"})
    assert answer.status_code == 401
    assert {"status", "message", "correlationId", "category"} <= set(answer.json())


def test_list_archived_true_returns_only_archived(hs: HubSpot, hs_call: HsCall) -> None:
    # HubSpot docs: "List endpoint": archived=true returns only archived records.
    kept, gone = make_contacts(hs, 2)
    assert hs_call("DELETE", f"crm/v3/objects/contacts/{gone}").status_code == 204
    archived = hs_call("GET", "crm/v3/objects/contacts", params={"archived": "true"}).json()["results"]
    live = hs_call("GET", "crm/v3/objects/contacts").json()["results"]
    assert [r["id"] for r in archived] == [gone]
    assert [r["id"] for r in live] == [kept]


def test_batch_over_100_inputs_is_refused(hs_call: HsCall) -> None:
    # HubSpot docs: "Batch create": "Object API batch endpoints are limited to 100 inputs per request."
    inputs = [{"properties": {"email": f"n{i}@contract.test"}} for i in range(101)]
    answer = hs_call("POST", "crm/v3/objects/contacts/batch/create", json={"inputs": inputs})
    assert answer.status_code == 400
    assert answer.json()["status"] == "error"
