"""Salesforce writes: upsert by external id, sObject Collections, the emailSimple action."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMoreThanOneRecord

from tests.contract.conftest import Backdoor, SfCall


def test_upsert_by_external_id_creates_then_updates(sf: Salesforce) -> None:
    # Salesforce docs: (REST upsert): 201 with created:true on insert, 200/204 on update.
    created = sf.Account.upsert("External_Key__c/K-1", {"Name": "Upserted"}, raw_response=True)
    assert created.status_code == 201
    assert created.json()["created"] is True
    assert sf.Account.upsert("External_Key__c/K-1", {"Name": "Renamed"}) in (200, 204)
    rows = sf.query("SELECT Name, External_Key__c FROM Account")["records"]
    assert [(r["Name"], r["External_Key__c"]) for r in rows] == [("Renamed", "K-1")]


def test_upsert_matching_several_records_is_300(sf: Salesforce) -> None:
    # Salesforce docs: 300 with the matching records when the external id is not unique.
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


def test_collections_partial_failure_uses_status_code(sf: Salesforce) -> None:
    # Salesforce docs: : HTTP 200, per-record results in order; errors carry statusCode, not errorCode.
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


def test_collections_all_or_none_rolls_back(sf: Salesforce) -> None:
    # Salesforce docs: : allOrNone rolls every record back; the valid ones report the rollback.
    results = collection(
        sf,
        [{"attributes": {"type": "Account"}, "Name": "Undone"}, {"attributes": {"type": "Account"}}],
        all_or_none=True,
    )
    assert [r["success"] for r in results] == [False, False]
    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 0


def test_collections_refuse_more_than_200_records(sf_call: SfCall) -> None:
    # Salesforce docs: : up to 200 records per sObject Collections call; a malformed request is 400.
    records = [{"attributes": {"type": "Account"}, "Name": f"N{i}"} for i in range(201)]
    answer = sf_call("POST", "composite/sobjects", json={"records": records})
    assert answer.status_code == 400


def email(to: str, subject: str) -> dict[str, Any]:
    return {"emailAddresses": to, "emailSubject": subject, "emailBody": "Body", "senderType": "CurrentUser"}


def test_email_simple_batch(sf: Salesforce, backdoor: Backdoor) -> None:
    # Salesforce docs: : one input per email; the answer lists {actionName, errors, isSuccess, outputValues}.
    inputs = [email("a@contract.test", "First"), email("b@contract.test", "Second")]
    results = sf.restful("actions/standard/emailSimple", method="POST", json={"inputs": inputs})
    assert [(r["actionName"], r["isSuccess"], r["errors"]) for r in results] == [
        ("emailSimple", True, None),
        ("emailSimple", True, None),
    ]
    sent = sorted((e["to"], e["subject"]) for e in backdoor.sent_emails())
    assert sent == [(["a@contract.test"], "First"), (["b@contract.test"], "Second")]


def test_email_simple_inputs_fail_independently(sf_call: SfCall, backdoor: Backdoor) -> None:
    # Salesforce docs: : each input has its own isSuccess/errors (a mixed batch's HTTP status is unverified).
    inputs = [email("ok@contract.test", "Fine"), email("not an address", "Broken")]
    answer = sf_call("POST", "actions/standard/emailSimple", json={"inputs": inputs})
    assert answer.status_code in (200, 400)
    results = answer.json()
    assert [r["isSuccess"] for r in results] == [True, False]
    assert results[1]["errors"][0]["statusCode"]
    assert [e["subject"] for e in backdoor.sent_emails()] == ["Fine"]
