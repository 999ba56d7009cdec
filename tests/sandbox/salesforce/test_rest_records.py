"""Record resources through simple-salesforce: CRUD, stamping, validation, upsert, describe, collections."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from sandbox.clock import MovableClock
from sandbox.salesforce import SalesforceApiError, SalesforceEmulator
from sandbox.seeds.salesforce import ReferenceOrg


def error_of(call: Any, *args: Any, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(SalesforceError) as caught:
        call(*args, **kwargs)
    [error] = caught.value.content
    return caught.value.status, error


def test_create_get_update_stamps_audit_fields(
    sf: Salesforce, emulator: SalesforceEmulator, clock: MovableClock
) -> None:
    created = sf.Account.create({"Name": "Acme"})
    assert created == {"id": created["id"], "success": True, "errors": []}
    assert created["id"].startswith("001") and len(created["id"]) == 18

    clock.advance(minutes=5, microseconds=654321)
    assert sf.Account.update(created["id"], {"Name": "Acme Ltd"}) == 204
    record = sf.Account.get(created["id"])
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v62.0/sobjects/Account/{created['id']}",
    }
    integration = emulator.integration_user_id
    assert record["Name"] == "Acme Ltd"
    assert (record["CreatedDate"], record["CreatedById"]) == ("2026-11-22T08:00:00.000+0000", integration)
    assert record["LastModifiedDate"] == record["SystemModstamp"] == "2026-11-22T08:05:00.000+0000"
    assert (record["OwnerId"], record["IsDeleted"]) == (integration, False)


def test_get_with_fields_parameter(sf: Salesforce, org: ReferenceOrg) -> None:
    record = sf.Account.get(org.client, params={"fields": "name,OwnerId"})
    assert list(record) == ["attributes", "Name", "OwnerId", "Id"]
    assert error_of(sf.Account.get, org.client, params={"fields": "Nope"})[1]["errorCode"] == "INVALID_FIELD"


def test_audit_fields_may_be_set_on_insert_but_system_fields_may_not(
    sf: Salesforce, org: ReferenceOrg
) -> None:
    created = sf.Service_Level_Intervention__c.create(
        {"Name": "backdated", "CreatedDate": "2026-01-05T10:00:00.123+02:00", "CreatedById": org.owner}
    )
    record = sf.Service_Level_Intervention__c.get(created["id"])
    assert (record["CreatedDate"], record["CreatedById"]) == ("2026-01-05T08:00:00.000+0000", org.owner)
    assert record["SystemModstamp"] == "2026-11-22T08:00:00.000+0000"
    status, error = error_of(sf.Account.create, {"Name": "x", "SystemModstamp": "2026-01-01T00:00:00Z"})
    assert status == 400 and error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error["fields"] == ["SystemModstamp"]
    assert error_of(sf.Account.update, org.client, {"CreatedDate": "2026-01-01T00:00:00Z"})[1][
        "errorCode"
    ] == ("INVALID_FIELD_FOR_INSERT_UPDATE")


def test_delete_is_soft(sf: Salesforce, org: ReferenceOrg, clock: MovableClock) -> None:
    clock.advance(hours=1)
    assert sf.Service_Level_Intervention__c.delete(org.sli) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Service_Level_Intervention__c.get(org.sli)
    status, error = error_of(sf.Service_Level_Intervention__c.delete, org.sli)
    assert (status, error["errorCode"]) == (404, "ENTITY_IS_DELETED")
    soql = "SELECT Id, IsDeleted, SystemModstamp FROM Service_Level_Intervention__c"
    assert sf.query(soql)["totalSize"] == 0
    [row] = sf.query_all(soql, include_deleted=True)["records"]
    assert (row["IsDeleted"], row["SystemModstamp"]) == (True, "2026-11-22T09:00:00.000+0000")


def test_task_defaults(sf: Salesforce, emulator: SalesforceEmulator, org: ReferenceOrg) -> None:
    task_id = sf.Task.create({"WhatId": org.sli, "Status": "Completed"})["id"]
    task = sf.Task.get(task_id)
    assert task_id.startswith("00T")
    assert (task["Subject"], task["OwnerId"], task["Priority"], task["IsClosed"]) == (
        None,
        emulator.integration_user_id,
        "Normal",
        True,
    )


@pytest.mark.parametrize(
    ("sobject", "body", "code", "fields", "message"),
    [
        (
            "Service_Level_Intervention__c",
            {"Client_Status__c": "Red"},
            "REQUIRED_FIELD_MISSING",
            ["Name"],
            "Required fields are missing: [Name]",
        ),
        (
            "Service_Level_Intervention__c",
            {"Name": "x", "Client_Status__c": "Purple"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            ["Client_Status__c"],
            "Client Status: bad value for restricted picklist field: Purple",
        ),
        ("Task", {"Subjekt": "x"}, "INVALID_FIELD", [], "No such column 'Subjekt' on sobject of type Task"),
        (
            "Task",
            {"WhatId": "garbage"},
            "MALFORMED_ID",
            ["WhatId"],
            "Related To ID: id value of incorrect type: garbage",
        ),
        (
            "Service_Level_Intervention__c",
            {"Name": "x", "Client__c": "0058c0000000001AAA"},
            "FIELD_INTEGRITY_EXCEPTION",
            ["Client__c"],
            "Client: id value of incorrect type: 0058c0000000001AAA",
        ),
        (
            "Service_Level_Intervention__c",
            {"Name": "x", "Client__c": "0018c00000000ZZ"},
            "INVALID_CROSS_REFERENCE_KEY",
            [],
            "invalid cross reference id",
        ),
        (
            "Service_Level_Intervention__c",
            {"Name": "x", "Exception_Approved__c": "maybe"},
            "JSON_PARSER_ERROR",
            [],
            "Cannot deserialize instance of boolean from VALUE_STRING value maybe",
        ),
        (
            "Service_Level_Intervention__c",
            {"Name": "x", "Incident_Date__c": "22/11/2026"},
            "JSON_PARSER_ERROR",
            [],
            "Cannot deserialize instance of date",
        ),
        ("Task", {"Subject": "x" * 256}, "STRING_TOO_LONG", ["Subject"], "Subject: data value too large"),
        (
            "User",
            {"Username": "u@x.test", "LastName": "U", "Email": "not-an-email"},
            "INVALID_EMAIL_ADDRESS",
            ["Email"],
            "Email: invalid email address: not-an-email",
        ),
        (
            "FeedItem",
            {"Body": "hello"},
            "REQUIRED_FIELD_MISSING",
            ["ParentId"],
            "Required fields are missing",
        ),
        (
            "Task",
            {"Id": "00T8c0000000001EAA"},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            ["Id"],
            "Record ID: cannot specify Id in an insert call",
        ),
    ],
)
def test_validation_errors(
    sf: Salesforce,
    org: ReferenceOrg,
    sobject: str,
    body: dict[str, Any],
    code: str,
    fields: list[str],
    message: str,
) -> None:
    status, error = error_of(getattr(sf, sobject).create, body)
    assert status == 400
    assert set(error) == {"message", "errorCode", "fields"}
    assert (error["errorCode"], error["fields"]) == (code, fields)
    assert error["message"].startswith(message)


def test_inactive_owner_is_rejected(sf: Salesforce, org: ReferenceOrg) -> None:
    error = error_of(sf.Task.create, {"Subject": "x", "OwnerId": org.inactive})[1]
    assert error["errorCode"] == "INACTIVE_OWNER_OR_USER"


def test_feed_items(sf: Salesforce, org: ReferenceOrg) -> None:
    post = sf.FeedItem.create({"ParentId": org.sli, "Body": "Escalated to the regional director"})
    assert post["id"].startswith("0D5")
    [row] = sf.query(f"SELECT Id, Body, Type, Parent.Name FROM FeedItem WHERE ParentId = '{org.sli}'")[
        "records"
    ]
    assert (row["Body"], row["Type"], row["Parent"]["Name"]) == (
        "Escalated to the regional director",
        "TextPost",
        "SLI-0001",
    )
    error = error_of(sf.FeedItem.create, {"ParentId": org.sli})[1]
    assert (error["errorCode"], error["fields"]) == ("REQUIRED_FIELD_MISSING", ["Body"])
    assert sf.FeedItem.create({"ParentId": org.sli, "Type": "LinkPost", "LinkUrl": "https://x.test"})[
        "success"
    ]


def test_upsert_by_external_id(sf: Salesforce, org: ReferenceOrg) -> None:
    key = "Crm_Sync_Key__c/" + "SLI-1%3AFOLLOWUP_14D"
    assert sf.Task.upsert(key, {"Subject": "Follow up", "WhatId": org.sli}) == 201
    assert sf.Task.upsert(key, {"Subject": "Follow up (again)"}) == 200
    response = sf.Task.upsert(key, {"Priority": "High"}, raw_response=True)
    assert response.json()["created"] is False
    [task] = sf.query("SELECT Subject, Priority, Crm_Sync_Key__c FROM Task")["records"]
    assert (task["Subject"], task["Priority"], task["Crm_Sync_Key__c"]) == (
        "Follow up (again)",
        "High",
        "SLI-1:FOLLOWUP_14D",
    )
    assert sf.Task.get_by_custom_id("Crm_Sync_Key__c", "sli-1:followup_14d")["Id"] == response.json()["id"]


def test_upsert_with_several_matches_answers_300(sf: Salesforce, org: ReferenceOrg) -> None:
    first = sf.Account.create({"Name": "One", "External_Key__c": "dup"})["id"]
    second = sf.Account.create({"Name": "Two", "External_Key__c": "dup"})["id"]
    with pytest.raises(SalesforceMoreThanOneRecord) as caught:
        sf.Account.upsert("External_Key__c/dup", {"Name": "Three"})
    assert caught.value.status == 300
    assert caught.value.content == [
        f"/services/data/v62.0/sobjects/Account/{first}",
        f"/services/data/v62.0/sobjects/Account/{second}",
    ]
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Account.get_by_custom_id("External_Key__c", "dup")


def test_upsert_rules(sf: Salesforce, org: ReferenceOrg) -> None:
    assert sf.Task.upsert("Crm_Sync_Key__c/k", {"Subject": "x"}, raw_response=True).status_code == 201
    error = error_of(sf.Task.create, {"Crm_Sync_Key__c": "K"})[1]
    assert error["errorCode"] == "DUPLICATE_VALUE"
    assert error["message"].startswith(
        "duplicate value found: Crm_Sync_Key__c duplicates value on record with id:"
    )
    status, error = error_of(sf.Task.upsert, "Subject/x", {"Priority": "Low"})
    assert (status, error["message"]) == (
        404,
        "Provided external ID field does not exist or is not accessible: Subject",
    )
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful(
            "sobjects/Task/Crm_Sync_Key__c/missing",
            method="PATCH",
            params={"updateOnly": "true"},
            json={"Subject": "x"},
        )


def test_describe(sf: Salesforce) -> None:
    describe = sf.Service_Level_Intervention__c.describe()
    assert (describe["name"], describe["keyPrefix"], describe["custom"]) == (
        "Service_Level_Intervention__c",
        "a0X",
        True,
    )
    fields = {f["name"]: f for f in describe["fields"]}
    assert {
        "Id",
        "IsDeleted",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
        "OwnerId",
    } <= set(fields)
    status = fields["Client_Status__c"]
    assert (status["type"], status["restrictedPicklist"]) == ("picklist", True)
    assert [v["value"] for v in status["picklistValues"]] == ["Green", "Yellow", "Orange", "Red"]
    client = fields["Client__c"]
    assert (client["type"], client["referenceTo"], client["relationshipName"]) == (
        "reference",
        ["Account"],
        "Client__r",
    )
    plan = fields["Intervention_Plan__c"]
    assert (plan["type"], plan["length"], plan["filterable"]) == ("textarea", 32768, False)
    assert fields["Exception_Approved__c"]["defaultValue"] is False
    key = sf.Task.describe()["fields"]
    assert {"name": "Crm_Sync_Key__c", "externalId": True, "unique": True, "length": 255}.items() <= next(
        f for f in key if f["name"] == "Crm_Sync_Key__c"
    ).items()
    assert {o["name"] for o in sf.describe()["sobjects"]} == {
        "User",
        "Account",
        "Contact",
        "Region__c",
        "Office__c",
        "Service_Level_Intervention__c",
        "Task",
        "FeedItem",
        "OrgWideEmailAddress",
        "Profile",
        "EmailMessage",
    }


def test_unknown_resources(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound):
        sf.restful("sobjects/Nope__c/describe")
    with pytest.raises(SalesforceError) as caught:
        sf.restful("sobjects/Task/describe", method="POST")
    assert caught.value.status == 405
    old = Salesforce(
        instance_url="https://sf.sandbox.test", session_id=sf.session_id, version="59.0", session=sf.session
    )
    with pytest.raises(SalesforceResourceNotFound):
        old.query("SELECT Id FROM Task")


# -- sObject Collections ---------------------------------------------------------------------------------


def task(subject: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Task"}, "Subject": subject, **fields}


def test_collection_create_partial_failure(sf: Salesforce, emulator: SalesforceEmulator) -> None:
    body = {
        "records": [task("a"), task("b", Status="Bogus"), {"attributes": {"type": "Account"}, "Name": "Acme"}]
    }
    results = sf.restful("composite/sobjects", method="POST", json=body)
    assert results[0]["success"] and results[0]["errors"] == [] and results[2]["id"].startswith("001")
    assert results[1] == {
        "success": False,
        "errors": [
            {
                "statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                "message": "Status: bad value for restricted picklist field: Bogus",
                "fields": ["Status"],
            }
        ],
    }
    assert [t["Subject"] for t in emulator.records("Task")] == ["a"]


def test_collection_all_or_none_rolls_back(
    sf: Salesforce, emulator: SalesforceEmulator, org: ReferenceOrg
) -> None:
    before = emulator.records("Account")
    body = {
        "allOrNone": True,
        "records": [
            {"attributes": {"type": "Account"}, "Name": "New"},
            task("ok"),
            task("bad", WhatId="nope"),
        ],
    }
    results = sf.restful("composite/sobjects", method="POST", json=body)
    rolled_back = {
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "message": "Record rolled back because not all records were valid and the request was using "
        "AllOrNone header",
        "fields": [],
    }
    assert results[:2] == [{"success": False, "errors": [rolled_back]}] * 2
    assert results[2]["errors"][0]["statusCode"] == "MALFORMED_ID"
    assert emulator.records("Account") == before and emulator.records("Task") == []

    update = {
        "allOrNone": True,
        "records": [
            {"attributes": {"type": "Account"}, "id": org.client, "Name": "Renamed"},
            {"attributes": {"type": "Account"}, "id": org.referral, "Name": None},
        ],
    }
    results = sf.restful("composite/sobjects", method="PATCH", json=update)
    assert results[0] == {"id": org.client, "success": False, "errors": [rolled_back]}
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert emulator.records("Account") == before


def test_collection_update_upsert_and_delete(
    sf: Salesforce, emulator: SalesforceEmulator, org: ReferenceOrg
) -> None:
    results = sf.restful(
        "composite/sobjects/Task/Crm_Sync_Key__c",
        method="PATCH",
        json={"records": [task("one", Crm_Sync_Key__c="k1"), task("two", Crm_Sync_Key__c="k2")]},
    )
    assert [(r["success"], r["created"]) for r in results] == [(True, True), (True, True)]
    results = sf.restful(
        "composite/sobjects/Task/Crm_Sync_Key__c",
        method="PATCH",
        json={
            "records": [
                task("one!", Crm_Sync_Key__c="k1"),
                task("three", Crm_Sync_Key__c="k3"),
                task("no key"),
            ]
        },
    )
    assert [r["success"] for r in results] == [True, True, False]
    assert [r.get("created") for r in results] == [False, True, None]
    ids = [t["Id"] for t in emulator.records("Task")]
    assert [t["Subject"] for t in emulator.records("Task")] == ["one!", "two", "three"]

    updated = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "records": [
                {"attributes": {"type": "Task"}, "id": ids[0], "Status": "Completed"},
                {"attributes": {"type": "Task"}, "Status": "Completed"},
            ]
        },
    )
    assert updated[0] == {"id": ids[0], "success": True, "errors": []}
    assert updated[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"

    fetched = sf.restful("composite/sobjects/Task", params={"ids": f"{ids[0]},{org.sli}", "fields": "Status"})
    assert fetched[0]["Status"] == "Completed" and fetched[1] is None

    deleted = sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids[:2])})
    assert [r["success"] for r in deleted] == [True, True]
    assert [t["Subject"] for t in emulator.records("Task")] == ["three"]


def test_collection_limit_is_200(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful("composite/sobjects", method="POST", json={"records": [task(str(i)) for i in range(201)]})
    assert caught.value.content == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]
    results = sf.restful(
        "composite/sobjects", method="POST", json={"records": [task(str(i)) for i in range(200)]}
    )
    assert len(results) == 200 and all(r["success"] for r in results)


def test_users_cannot_be_deleted_and_insert_validates(
    sf: Salesforce, emulator: SalesforceEmulator, org: ReferenceOrg
) -> None:
    error = error_of(sf.User.delete, org.owner)[1]
    assert error["errorCode"] == "INVALID_TYPE_FOR_OPERATION"
    with pytest.raises(SalesforceApiError) as caught:
        emulator.insert("Office__c", {"Name": "x", "Region__c": org.client})
    assert (caught.value.status, caught.value.errors[0].code) == (400, "FIELD_INTEGRITY_EXCEPTION")


def test_supported_versions_are_listed(sf: Salesforce) -> None:
    versions = sf.session.get("https://sf.sandbox.test/services/data").json()
    assert versions[0] == {"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"}
    assert "62.0" in [v["version"] for v in versions]
