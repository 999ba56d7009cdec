"""Salesforce writes: upsert by external id, sObject Collections, the emailSimple action."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMoreThanOneRecord

from tests.contract.conftest import Backdoor, SfCall


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm (201 created, 200/204 updated)")
def test_upsert_by_external_id_creates_then_updates(sf: Salesforce) -> None:
    created = sf.Account.upsert("External_Key__c/K-1", {"Name": "Upserted"}, raw_response=True)
    assert created.status_code == 201
    assert created.json()["created"] is True
    assert sf.Account.upsert("External_Key__c/K-1", {"Name": "Renamed"}) in (200, 204)
    rows = sf.query("SELECT Name, External_Key__c FROM Account")["records"]
    assert [(r["Name"], r["External_Key__c"]) for r in rows] == [("Renamed", "K-1")]


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm (300: external ID in more than one record, the matching records listed)")
def test_upsert_matching_several_records_is_300(sf: Salesforce) -> None:
    first = sf.Account.create({"Name": "Twin A", "External_Key__c": "DUP"})["id"]
    second = sf.Account.create({"Name": "Twin B", "External_Key__c": "DUP"})["id"]
    with pytest.raises(SalesforceMoreThanOneRecord) as caught:
        sf.Account.upsert("External_Key__c/DUP", {"Name": "Which?"})
    assert caught.value.status == 300
    listed = " ".join(str(url) for url in caught.value.content)
    assert first in listed and second in listed


def collection(sf: Salesforce, records: list[dict[str, Any]], all_or_none: bool) -> list[dict[str, Any]]:
    body = {"allOrNone": all_or_none, "records": records}
    return list(sf.restful("composite/sobjects", method="POST", json=body))


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm (per-record results in order, errors with statusCode)")
def test_collections_partial_failure_uses_status_code(sf: Salesforce) -> None:
    results = collection(
        sf,
        [{"attributes": {"type": "Account"}, "Name": "Fine"}, {"attributes": {"type": "Account"}}],
        all_or_none=False,
    )
    assert [r["success"] for r in results] == [True, False]
    assert results[0]["id"].startswith("001")
    error = results[1]["errors"][0]
    assert error["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert "Name" in error["fields"]
    assert [r["Name"] for r in sf.query("SELECT Name FROM Account")["records"]] == ["Fine"]


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm (allOrNone: ALL_OR_NONE_OPERATION_ROLLED_BACK)")
def test_collections_all_or_none_rolls_back(sf: Salesforce) -> None:
    results = collection(
        sf,
        [{"attributes": {"type": "Account"}, "Name": "Undone"}, {"attributes": {"type": "Account"}}],
        all_or_none=True,
    )
    assert [r["success"] for r in results] == [False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm (up to 200 records per request)")
def test_collections_refuse_more_than_200_records(sf_call: SfCall) -> None:
    records = [{"attributes": {"type": "Account"}, "Name": f"N{i}"} for i in range(201)]
    answer = sf_call("POST", "composite/sobjects", json={"records": records})
    assert answer.status_code == 400


def email(to: str, subject: str) -> dict[str, Any]:
    return {"emailAddresses": to, "emailSubject": subject, "emailBody": "Body", "senderType": "CurrentUser"}


@pytest.mark.guessed("the inputs are documented (https://developer.salesforce.com/docs/atlas.en-us.api_action.meta/api_action/actions_obj_email_simple.htm) but no recorded emailSimple response was found")
def test_email_simple_batch(sf: Salesforce, backdoor: Backdoor) -> None:
    inputs = [email("a@contract.test", "First"), email("b@contract.test", "Second")]
    results = sf.restful("actions/standard/emailSimple", method="POST", json={"inputs": inputs})
    assert [(r["actionName"], r["isSuccess"], r["errors"]) for r in results] == [
        ("emailSimple", True, None),
        ("emailSimple", True, None),
    ]
    sent = sorted((e["to"], e["subject"]) for e in backdoor.sent_emails())
    assert sent == [(["a@contract.test"], "First"), (["b@contract.test"], "Second")]


@pytest.mark.guessed("the HTTP status and error shape of a mixed emailSimple batch are undocumented and unrecorded")
def test_email_simple_inputs_fail_independently(sf_call: SfCall, backdoor: Backdoor) -> None:
    inputs = [email("ok@contract.test", "Fine"), email("not an address", "Broken")]
    answer = sf_call("POST", "actions/standard/emailSimple", json={"inputs": inputs})
    assert answer.status_code in (200, 400)
    results = answer.json()
    assert [r["isSuccess"] for r in results] == [True, False]
    assert results[1]["errors"][0]["statusCode"]
    assert [e["subject"] for e in backdoor.sent_emails()] == ["Fine"]
