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
