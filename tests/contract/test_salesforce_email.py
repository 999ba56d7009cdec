"""Salesforce email as a real org logs it: Enhanced Email, the CC inputs and the recipient cap of the API
version, the org's deliverability."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce

from tests.contract.conftest import Backdoor, SfCall

EMAIL_SIMPLE = "https://developer.salesforce.com/docs/atlas.en-us.api_action.meta/api_action/actions_obj_email_simple.htm"


def _send(sf_call: SfCall, version: str | None = None, **fields: Any) -> list[dict[str, Any]]:
    item = {"emailSubject": "Hello", "emailBody": "Body", "senderType": "CurrentUser", **fields}
    path = "actions/standard/emailSimple"
    if version:  # another API version than the suite's
        answer = sf_call("POST", f"../v{version}/{path}", json={"inputs": [item]})
    else:
        answer = sf_call("POST", path, json={"inputs": [item]})
    assert answer.status_code in (200, 400), answer.text
    return list(answer.json())


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_emailmessage.htm (Enhanced Email: the logged send is an EmailMessage, RelatedToId the record, ActivityId its Task); sforce_api_objects_task.htm (Description: 32,000 characters)")
def test_a_logged_send_is_an_email_message_linked_to_its_task(sf: Salesforce, sf_call: SfCall) -> None:
    account = sf.Account.create({"Name": "Logged Co"})["id"]
    body = "[ref top]\n" + "x" * 40_000
    results = _send(
        sf_call, emailAddresses="a@contract.test", emailBody=body, relatedRecordId=account, logEmailOnSend=True
    )
    assert results[0]["isSuccess"], results
    messages = sf.query(
        f"SELECT Id, Subject, TextBody, ActivityId, Status FROM EmailMessage WHERE RelatedToId = '{account}'"
    )["records"]
    assert len(messages) == 1 and messages[0]["Status"] == "3"
    assert messages[0]["TextBody"] == body
    task = sf.Task.get(messages[0]["ActivityId"])
    assert (task["WhatId"], task["TaskSubtype"]) == (account, "Email")
    assert len(task["Description"]) == 32_000 and task["Description"].startswith("[ref top]")


@pytest.mark.guessed("an org without Enhanced Email logs the send as a Task only (the EmailMessage object reference says EmailMessage needs Enhanced Email or Email-to-Case); not recorded")
def test_without_enhanced_email_a_logged_send_is_a_task_only(
    sf: Salesforce, sf_call: SfCall, backdoor: Backdoor
) -> None:
    backdoor.salesforce_org(enhanced_email=False)
    account = sf.Account.create({"Name": "Classic Co"})["id"]
    _send(sf_call, emailAddresses="a@contract.test", relatedRecordId=account, logEmailOnSend=True)
    assert sf.query("SELECT COUNT() FROM EmailMessage")["totalSize"] == 0
    assert sf.query(f"SELECT Description FROM Task WHERE WhatId = '{account}'")["records"][0]["Description"] == "Body"


@pytest.mark.guessed(f"the CC inputs and the cap are documented ({EMAIL_SIMPLE}, API 62 and 65 editions: ccRecipientAddressList, then ccAddresses; 5 recipients, then 150) but which version first takes 150 (64.0 assumed, the Actions guide 256.0 that adds CC) and the inputs' value shape are not recorded")
def test_cc_inputs_and_the_recipient_cap_follow_the_api_version(sf_call: SfCall, backdoor: Backdoor) -> None:
    ok = _send(sf_call, emailAddresses="to@contract.test", ccRecipientAddressList="cc1@contract.test,cc2@contract.test")
    assert ok[0]["isSuccess"], ok
    sent = backdoor.sent_emails()[-1]
    assert (sent["to"], sent["cc"]) == (["to@contract.test"], ["cc1@contract.test", "cc2@contract.test"])
    many = ",".join(f"cc{n}@contract.test" for n in range(5))
    over = _send(sf_call, emailAddresses="to@contract.test", ccRecipientAddressList=many)
    assert over[0]["errors"][0]["statusCode"] == "LIMIT_EXCEEDED"
    assert _send(sf_call, "64.0", emailAddresses="to@contract.test", ccRecipientAddressList=many)[0]["isSuccess"]
    renamed = _send(sf_call, "65.0", emailAddresses="to@contract.test", ccRecipientAddressList="cc@contract.test")
    assert renamed[0]["isSuccess"] is False
    assert _send(sf_call, "65.0", emailAddresses="to@contract.test", ccAddresses="cc@contract.test")[0]["isSuccess"]


@pytest.mark.guessed("deliverability other than All email stops sends (help: flow_ref_elements_actions_sendemail); the emailSimple error is unrecorded: NO_MASS_MAIL_PERMISSION is what Apex's SingleEmailMessage answers")
def test_sends_fail_unless_deliverability_is_all_email(sf_call: SfCall, backdoor: Backdoor) -> None:
    backdoor.salesforce_org(email_deliverability="system_email_only")
    results = _send(sf_call, emailAddresses="to@contract.test")
    assert results[0]["isSuccess"] is False
    assert results[0]["errors"][0]["statusCode"] == "NO_MASS_MAIL_PERMISSION"
    assert backdoor.sent_emails() == []
