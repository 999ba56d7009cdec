"""The emailSimple invocable action: batches, recipient resolution, the Outbox, logging and limits."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox.core import Outbox
from sandbox.salesforce import SalesforceEmulator
from sandbox.salesforce.testing import BASE_URL
from sandbox.seeds.salesforce import ReferenceOrg

ACTION = "actions/standard/emailSimple"


def send(sf: Salesforce, *inputs: dict[str, Any]) -> list[dict[str, Any]]:
    return sf.restful(ACTION, method="POST", json={"inputs": list(inputs)})


def email(subject: str = "SLI-0001 escalated", **fields: Any) -> dict[str, Any]:
    return {"emailSubject": subject, "emailBody": "Please review the intervention plan.", **fields}


def test_batch_is_sent_and_recorded_in_order(sf: Salesforce, outbox: Outbox, org: ReferenceOrg) -> None:
    results = send(
        sf,
        email("one", emailAddresses="a@x.test, b@x.test", relatedRecordId=org.sli),
        email(
            "two", emailAddressesArray=["c@x.test"], recipientId=org.manager, senderType="DefaultWorkflowUser"
        ),
    )
    assert (
        results
        == [{"actionName": "emailSimple", "errors": None, "isSuccess": True, "outputValues": None}] * 2
    )
    first, second = outbox.emails
    assert (first.source, first.to, first.cc, first.subject, first.related_id) == (
        "salesforce",
        ["a@x.test", "b@x.test"],
        [],
        "one",
        org.sli,
    )
    assert first.body == "Please review the intervention plan."
    assert first.sent_at == "2026-11-22T08:00:00.000Z"
    assert (second.to, second.related_id) == (["c@x.test", "mgr@org.test"], None)


def test_failed_inputs_do_not_stop_the_others(sf: Salesforce, outbox: Outbox, org: ReferenceOrg) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        send(
            sf,
            email(recipientId=org.inactive),
            email("ok", emailAddresses="ok@x.test"),
            {"emailBody": "no subject", "emailAddresses": "a@x.test"},
            email(emailAddresses="not an address"),
            email(recipientId=org.client),
        )
    results = caught.value.content
    assert [r["isSuccess"] for r in results] == [False, True, False, False, False]
    assert [r["errors"][0]["statusCode"] for r in results if r["errors"]] == [
        "INACTIVE_OWNER_OR_USER",
        "REQUIRED_FIELD_MISSING",
        "INVALID_EMAIL_ADDRESS",
        "INVALID_CROSS_REFERENCE_KEY",
    ]
    assert set(results[0]["errors"][0]) == {"statusCode", "message", "fields"}
    assert [e.subject for e in outbox.emails] == ["ok"]


def test_log_email_on_send_creates_a_completed_task(
    sf: Salesforce, emulator: SalesforceEmulator, org: ReferenceOrg
) -> None:
    send(sf, email("Escalation", recipientId=org.owner, relatedRecordId=org.sli, logEmailOnSend=True))
    [task] = sf.query("SELECT Subject, Status, WhatId, ActivityDate, OwnerId, IsClosed FROM Task")["records"]
    assert (task["Subject"], task["Status"], task["WhatId"], task["ActivityDate"], task["IsClosed"]) == (
        "Email: Escalation",
        "Completed",
        org.sli,
        "2026-11-22",
        True,
    )
    assert task["OwnerId"] == emulator.integration_user_id
    limits = sf.limits()
    assert limits["SingleEmail"]["Remaining"] == limits["SingleEmail"]["Max"] - 1
    assert limits["DailyWorkflowEmails"]["Remaining"] == limits["DailyWorkflowEmails"]["Max"]


def test_recipient_limit_depends_on_api_version(
    sf: Salesforce, emulator: SalesforceEmulator, outbox: Outbox
) -> None:
    seven = email(emailAddresses=",".join(f"r{i}@x.test" for i in range(7)))
    with pytest.raises(SalesforceMalformedRequest) as caught:
        send(sf, seven)
    assert caught.value.content[0]["errors"][0]["statusCode"] == "LIMIT_EXCEEDED"
    newer = Salesforce(
        instance_url=BASE_URL, session_id=sf.session_id, version="65.0", session=requests.Session()
    )
    assert send(newer, seven)[0]["isSuccess"]
    assert len(outbox.emails[0].to) == 7


def test_workflow_email_allocation_runs_out(sf: Salesforce, emulator: SalesforceEmulator) -> None:
    emulator.settings.workflow_email_daily_limit = 1
    assert send(sf, email(emailAddresses="a@x.test"))[0]["isSuccess"]
    with pytest.raises(SalesforceMalformedRequest) as caught:
        send(sf, email(emailAddresses="a@x.test"))
    assert caught.value.content[0]["errors"][0]["statusCode"] == "LIMIT_EXCEEDED"


def test_inputs_are_required(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful(ACTION, method="POST", json={"inputs": []})
