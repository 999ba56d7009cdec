"""HubSpot CRM objects: list paging, batch writes with 207 partial failures, inline associations, errors."""

from __future__ import annotations

import pytest
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


@pytest.mark.documented("https://developers.hubspot.com/docs/api/crm/understanding-the-crm (list endpoints: limit, after, paging.next.after)")
def test_list_pages_with_after_cursor(hs: HubSpot) -> None:
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


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/error-handling (multi-status 207 with context.objectWriteTraceId)")
def test_batch_create_with_trace_ids_answers_207(hs_call: HsCall) -> None:
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


@pytest.mark.documented("https://developers.hubspot.com/docs/api/crm/contacts (batch upsert by idProperty on a unique property; new: true|false)")
def test_batch_upsert_by_unique_property(hs_call: HsCall) -> None:
    def upsert(name: str) -> dict[str, object]:
        item = {"idProperty": "email", "id": "pat@contract.test", "properties": {"firstname": name}}
        answer = hs_call("POST", "crm/v3/objects/contacts/batch/upsert", json={"inputs": [item]})
        assert answer.status_code == 200, answer.text
        return dict(answer.json()["results"][0])

    created, updated = upsert("Pat"), upsert("Patricia")
    assert created["id"] == updated["id"]
    assert (created["new"], updated["new"]) == (True, False)
    assert updated["properties"]["firstname"] == "Patricia"  # type: ignore[index]


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/error-handling (multi-status 207 with context.objectWriteTraceId)")
def test_batch_upsert_partial_failure_answers_207(hs_call: HsCall) -> None:
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


@pytest.mark.documented("https://developers.hubspot.com/docs/api/crm/associations (v4 HUBSPOT_DEFINED type ids: ticket->contact 16, ticket->company 339, contact->ticket 15)")
def test_inline_associations_on_create(hs: HubSpot, hs_call: HsCall) -> None:
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
    # The reverse side carries the reverse type: contact→ticket 15.
    reverse = hs_call("GET", f"crm/v4/objects/contacts/{contact}/associations/tickets").json()["results"]
    assert [r["toObjectId"] for r in reverse] == [int(ticket)]
    assert 15 in {t["typeId"] for t in reverse[0]["associationTypes"]}


@pytest.mark.documented("https://developers.hubspot.com/docs/api/crm/feedback-submissions (read-only API; submissions associated with contacts)")
def test_feedback_submissions_are_read_only(hs: HubSpot, hs_call: HsCall, backdoor: Backdoor) -> None:
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


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/error-handling (status, message, correlationId, category)")
def test_error_body_shape(hs_call: HsCall) -> None:
    missing = hs_call("GET", "crm/v3/objects/contacts/987654321")
    assert missing.status_code == 404
    body = missing.json()
    assert body["status"] == "error"
    assert body["message"]
    assert body["correlationId"]
    assert body["category"] == "OBJECT_NOT_FOUND"


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/error-handling (VALIDATION_ERROR with errors[].code PROPERTY_DOESNT_EXIST)")
def test_unknown_property_is_property_doesnt_exist(hs_call: HsCall) -> None:
    answer = hs_call("POST", "crm/v3/objects/contacts", json={"properties": {"favourite_colour": "red"}})
    assert answer.status_code == 400
    body = answer.json()
    assert body["category"] == "VALIDATION_ERROR"
    assert body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"
    assert body["errors"][0]["context"]["propertyName"] == ["favourite_colour"]


@pytest.mark.documented('https://developers.hubspot.com/docs/api/crm/contacts (email is unique); 409 CONFLICT "Contact already exists. Existing ID: N" as recorded in HubSpot community threads')
def test_duplicate_contact_email_is_409_conflict(hs_call: HsCall) -> None:
    first = hs_call("POST", "crm/v3/objects/contacts", json={"properties": {"email": "twin@contract.test"}})
    second = hs_call("POST", "crm/v3/objects/contacts", json={"properties": {"email": "twin@contract.test"}})
    assert second.status_code == 409
    assert second.json()["category"] == "CONFLICT"
    assert f"Existing ID: {first.json()['id']}" in second.json()["message"]


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/error-handling (authentication errors use the common error body)")
def test_bad_token_is_401(hs_call: HsCall) -> None:
    answer = hs_call("GET", "crm/v3/objects/contacts", headers={"Authorization": "Bearer pat-wrong"})
    assert answer.status_code == 401
    assert {"status", "message", "correlationId", "category"} <= set(answer.json())


@pytest.mark.documented("https://developers.hubspot.com/docs/api/crm/understanding-the-crm (archived=true lists only archived records)")
def test_list_archived_true_returns_only_archived(hs: HubSpot, hs_call: HsCall) -> None:
    kept, gone = make_contacts(hs, 2)
    assert hs_call("DELETE", f"crm/v3/objects/contacts/{gone}").status_code == 204
    archived = hs_call("GET", "crm/v3/objects/contacts", params={"archived": "true"}).json()["results"]
    live = hs_call("GET", "crm/v3/objects/contacts").json()["results"]
    assert [r["id"] for r in archived] == [gone]
    assert [r["id"] for r in live] == [kept]


@pytest.mark.documented("https://developers.hubspot.com/docs/api/crm/understanding-the-crm (batch endpoints take at most 100 inputs)")
def test_batch_over_100_inputs_is_refused(hs_call: HsCall) -> None:
    inputs = [{"properties": {"email": f"n{i}@contract.test"}} for i in range(101)]
    answer = hs_call("POST", "crm/v3/objects/contacts/batch/create", json={"inputs": inputs})
    assert answer.status_code == 400
    assert answer.json()["status"] == "error"


@pytest.mark.guessed("the wording and code of a unique-value clash are undocumented (https://developers.hubspot.com/docs/api-reference/error-handling documents only the 207 shape); the sandbox's default wording comes from one third-party codebase, and /_sandbox/hubspot/unique-clash rewords it")
def test_unique_value_clash_fails_its_input_and_the_holder_is_read_by_id_property(
    hs_call: HsCall, backdoor: Backdoor
) -> None:
    def create(trace: str) -> dict[str, object]:
        item = {"properties": {**TICKET, "crm_sync_key": "key-1"}, "objectWriteTraceId": trace}
        answer = hs_call("POST", "crm/v3/objects/tickets/batch/create", json={"inputs": [item]})
        assert answer.status_code in (201, 207), answer.text
        return dict(answer.json())

    first = create("a")
    backdoor.hubspot_unique_clash("Value {property} is taken (record {id})", "UNIQUE_TAKEN")
    clash = create("b")
    error = clash["errors"][0]  # type: ignore[index]
    assert error["context"]["objectWriteTraceId"] == ["b"]
    assert error["errors"][0]["code"] == "UNIQUE_TAKEN"
    assert "already has that value" not in error["message"]
    held = hs_call(
        "POST",
        "crm/v3/objects/tickets/batch/read",
        json={"idProperty": "crm_sync_key", "inputs": [{"id": "key-1"}], "properties": ["crm_sync_key"]},
    )
    assert held.status_code == 200, held.text
    assert [r["id"] for r in held.json()["results"]] == [first["results"][0]["id"]]  # type: ignore[index]


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/legacy/migration-guide (date-versioned paths such as /crm/objects/2026-03/{objectType} replace /crm/v3/objects/{objectType}; v1-v3 unsupported from September 2027)")
def test_date_versioned_paths_serve_the_same_objects(hs_call: HsCall) -> None:
    made = hs_call("POST", "crm/objects/2026-03/tickets", json={"properties": TICKET})
    assert made.status_code == 201, made.text
    ticket = made.json()["id"]

    for version in ("2026-03", "2026-09"):
        read = hs_call(
            "POST", f"crm/objects/{version}/tickets/batch/read", json={"inputs": [{"id": ticket}], "properties": ["subject"]}
        )
        assert read.status_code == 200, read.text
        assert [r["id"] for r in read.json()["results"]] == [ticket]
    legacy = hs_call("GET", f"crm/v3/objects/tickets/{ticket}")
    assert legacy.json()["properties"]["subject"] == TICKET["subject"]
    assert hs_call("GET", "crm/pipelines/2026-03/tickets").status_code == 200


@pytest.mark.guessed("which date versions a portal serves is HubSpot's release calendar (March and September); what an unreleased one answers is not documented (404 here)")
def test_an_unreleased_date_version_is_not_found(hs_call: HsCall) -> None:
    assert hs_call("GET", "crm/objects/2031-03/tickets").status_code == 404
