"""HubSpot transactional single-send: at most one email per sendId."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import Backdoor, HsCall

SEND = "marketing/v3/transactional/single-email/send"


def send(hs_call: HsCall, send_id: str, to: str = "pat@contract.test") -> Any:
    body = {
        "emailId": 4242,
        "message": {"to": to, "sendId": send_id},
        "customProperties": {"subject": send_id},
    }
    return hs_call("POST", SEND, json=body)


@pytest.mark.guessed("the send answer ({status, statusId}) is only in HubSpot's published spec (Marketing/Transactional Single Send v3); no recorded response was found")
def test_single_send_answers_a_status(hs_call: HsCall) -> None:
    answer = send(hs_call, "first")
    assert answer.status_code == 200, answer.text
    assert answer.json()["statusId"]
    assert answer.json()["status"]


@pytest.mark.guessed("HubSpot documents one email per sendId (https://developers.hubspot.com/docs/api/marketing/transactional-emails), but whether a repeat answers IDEMPOTENT_IGNORE or an error is undocumented and unrecorded")
def test_send_id_sends_at_most_once(hs_call: HsCall, backdoor: Backdoor) -> None:
    first = send(hs_call, "nps-123")
    again = send(hs_call, "nps-123")
    other = send(hs_call, "nps-456")
    assert first.status_code == other.status_code == 200
    assert again.status_code < 500  # whether a repeat is an error or IDEMPOTENT_IGNORE is undocumented
    assert sorted(e["subject"] for e in backdoor.sent_emails()) == ["nps-123", "nps-456"]


STATUS = "marketing/v3/email/send-statuses/{}"


def status_of(hs_call: HsCall, status_id: str) -> dict[str, Any]:
    answer = hs_call("GET", STATUS.format(status_id))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.mark.guessed("the statuses PENDING, PROCESSING, CANCELED, COMPLETE and the send-statuses/{statusId} read are in HubSpot's published spec (Marketing/Transactional Single Send v3); how long a send stays in each is undocumented (the sandbox's pace is set here)")
def test_a_send_is_queued_and_its_status_moves_to_complete(hs_call: HsCall, backdoor: Backdoor) -> None:
    backdoor.hubspot_send_results({}, pending="1m", processing="1m")
    answer = send(hs_call, "queued").json()
    assert answer["status"] == "PENDING" and "sendResult" not in answer

    seen = [status_of(hs_call, answer["statusId"])["status"]]
    for _ in range(2):
        backdoor.advance_clock("1m")
        seen.append(status_of(hs_call, answer["statusId"])["status"])

    assert seen == ["PENDING", "PROCESSING", "COMPLETE"]
    final = status_of(hs_call, answer["statusId"])
    assert final["sendResult"] == "SENT" and final["completedAt"] >= final["startedAt"] >= final["requestedAt"]


@pytest.mark.guessed("the sendResult values (PREVIOUSLY_BOUNCED, INVALID_TO_ADDRESS, BLOCKED_ADDRESS...) are in HubSpot's published spec (Marketing/Transactional Single Send v3); which address gets which is scripted over /_sandbox/hubspot/send-results, and that such a send reaches nobody is a guess")
def test_a_scripted_send_completes_with_its_failure_and_sends_nothing(
    hs_call: HsCall, backdoor: Backdoor
) -> None:
    backdoor.hubspot_send_results({"bounced@contract.test": "PREVIOUSLY_BOUNCED"})
    answer = send(hs_call, "to-bounce", to="bounced@contract.test").json()

    final = status_of(hs_call, answer["statusId"])

    assert (final["status"], final["sendResult"]) == ("COMPLETE", "PREVIOUSLY_BOUNCED")
    assert backdoor.sent_emails() == []


@pytest.mark.guessed("one email per sendId is documented (https://developers.hubspot.com/docs/api/marketing/transactional-emails); that a repeat is queued as its own send completing IDEMPOTENT_IGNORE (a sendResult of the published spec) is a guess")
def test_a_repeated_send_id_completes_as_idempotent_ignore(hs_call: HsCall) -> None:
    first = send(hs_call, "twice").json()
    again = send(hs_call, "twice").json()

    assert again["statusId"] != first["statusId"]
    assert status_of(hs_call, again["statusId"])["sendResult"] == "IDEMPOTENT_IGNORE"


@pytest.mark.documented("HubSpot's transactional email guide and published spec (Marketing/Transactional Single Send v3): if no contact has the message's to address, a new contact is created")
def test_a_send_to_an_unknown_address_creates_the_contact(hs_call: HsCall) -> None:
    def contact() -> Any:
        return hs_call("GET", "crm/v3/objects/contacts/newcomer@contract.test", params={"idProperty": "email"})

    assert contact().status_code == 404
    send(hs_call, "newcomer", to="newcomer@contract.test")
    found = contact()
    assert found.status_code == 200, found.text
    assert found.json()["properties"]["email"] == "newcomer@contract.test"


@pytest.mark.guessed("IDEMPOTENT_FAIL is a sendResult of HubSpot's published spec (Marketing/Transactional Single Send v3); that it is what a repeated sendId of a send that did not go out completes as is a guess")
def test_a_repeated_send_id_of_a_failed_send_completes_as_idempotent_fail(
    hs_call: HsCall, backdoor: Backdoor
) -> None:
    backdoor.hubspot_send_results({"bounced@contract.test": "PREVIOUSLY_BOUNCED"})
    send(hs_call, "bounce-twice", to="bounced@contract.test")
    again = send(hs_call, "bounce-twice", to="bounced@contract.test").json()

    assert status_of(hs_call, again["statusId"])["sendResult"] == "IDEMPOTENT_FAIL"
    assert backdoor.sent_emails() == []
