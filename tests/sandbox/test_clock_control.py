"""``GET/POST /_sandbox/clock``: both served CRMs follow the sandbox's clock (record timestamps, the
``Date`` header, token expiry, rate windows); it persists with the state and ``reset`` restores it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from sandbox.app import Sandbox
from sandbox.clock import parse_duration, parse_instant
from sandbox.core import SandboxRequest
from sandbox.testing import SandboxHandle

SF_DATA = "/services/data/v62.0"
LATER = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture
def http(sandbox_server: SandboxHandle) -> Any:
    with sandbox_server.session() as session:
        yield session


def clock(http: requests.Session, server: SandboxHandle, body: Any = None) -> requests.Response:
    url = f"{server.url}/_sandbox/clock"
    return http.get(url, timeout=10) if body is None else http.post(url, json=body, timeout=10)


def now_of(answer: requests.Response) -> datetime:
    assert answer.status_code == 200, answer.text
    return parse_instant(answer.json()["now"])


def hubspot(http: requests.Session, server: SandboxHandle, method: str, path: str, **kw: Any) -> requests.Response:
    token = server.sandbox.credentials().hubspot_access_token
    return http.request(method, f"{server.url}/{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10, **kw)


def salesforce_token(http: requests.Session, server: SandboxHandle) -> dict[str, Any]:
    creds = server.sandbox.credentials()
    answer = http.post(
        f"{server.url}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(creds.salesforce_client_id, creds.salesforce_client_secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_set_moves_record_timestamps_and_the_date_header_of_both_crms(
    sandbox_server: SandboxHandle, http: requests.Session
) -> None:
    assert abs(now_of(clock(http, sandbox_server)) - datetime.now(UTC)) < timedelta(minutes=1)

    assert abs(now_of(clock(http, sandbox_server, {"set": "2031-05-06T07:08:09Z"})) - LATER) < timedelta(seconds=5)

    contact = hubspot(http, sandbox_server, "POST", "crm/v3/objects/contacts", json={"properties": {"email": "a@clock.test"}})
    assert contact.status_code == 201, contact.text
    assert contact.json()["createdAt"].startswith("2031-05-06T07:0")
    assert abs(parsedate_to_datetime(contact.headers["Date"]) - LATER) < timedelta(seconds=5)
    token = salesforce_token(http, sandbox_server)
    created = http.post(
        f"{sandbox_server.url}{SF_DATA}/sobjects/Account",
        json={"Name": "Clocked"},
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    read = http.get(
        f"{sandbox_server.url}{SF_DATA}/sobjects/Account/{created.json()['id']}",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert read.json()["CreatedDate"].startswith("2031-05-06T07:0")
    assert abs(parsedate_to_datetime(read.headers["Date"]) - LATER) < timedelta(seconds=5)


def test_advance_expires_salesforce_tokens(sandbox_server: SandboxHandle, http: requests.Session) -> None:
    token = salesforce_token(http, sandbox_server)
    limits = f"{sandbox_server.url}{SF_DATA}/limits"
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    assert http.get(limits, headers=auth, timeout=10).status_code == 200
    ttl = sandbox_server.sandbox.salesforce.settings.token_ttl_seconds

    before = now_of(clock(http, sandbox_server))
    after = now_of(clock(http, sandbox_server, {"advance": f"{ttl + 60}s"}))

    assert after - before >= timedelta(seconds=ttl + 60)
    expired = http.get(limits, headers=auth, timeout=10)
    assert expired.status_code == 401
    assert expired.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_advance_opens_hubspots_rate_window(
    sandbox_server: SandboxHandle, http: requests.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_server.sandbox.hubspot.settings, "rate_limit_per_10s", 2)
    for _ in range(2):
        assert hubspot(http, sandbox_server, "GET", "crm/v3/owners").status_code == 200
    assert hubspot(http, sandbox_server, "GET", "crm/v3/owners").status_code == 429

    clock(http, sandbox_server, {"advance": "11s"})

    assert hubspot(http, sandbox_server, "GET", "crm/v3/owners").status_code == 200


def test_reset_returns_to_the_wall_clock(sandbox_server: SandboxHandle, http: requests.Session) -> None:
    clock(http, sandbox_server, {"advance": "30d"})
    assert http.post(f"{sandbox_server.url}/_sandbox/reset", timeout=10).status_code == 200
    answer = clock(http, sandbox_server)
    assert answer.json()["offset_seconds"] == 0
    assert abs(now_of(answer) - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({}, "set"),
        ({"set": "2031-05-06T07:08:09Z", "advance": "1d"}, "set"),
        ({"set": "next tuesday"}, "set: expected an ISO-8601 instant"),
        ({"set": 5}, "set: expected an ISO-8601 instant"),
        ({"advance": "2w"}, "advance: expected a duration"),
        ({"advance": "-1d"}, "advance: expected a duration"),
        ({"advance": ""}, "advance: expected a duration"),
        ({"when": "1d"}, "set"),
    ],
)
def test_bad_clock_bodies_are_400_with_a_reason(
    sandbox_server: SandboxHandle, http: requests.Session, body: Any, reason: str
) -> None:
    answer = clock(http, sandbox_server, body)
    assert answer.status_code == 400
    assert reason in answer.json()["message"]
    assert answer.json()["error"] == "bad_request"
    assert clock(http, sandbox_server).json()["offset_seconds"] == 0


def test_the_clock_offset_survives_a_restart(tmp_path: Path) -> None:
    box = Sandbox(state_dir=tmp_path)
    box.advance_clock(timedelta(days=2))
    box.close()

    again = Sandbox(state_dir=tmp_path)

    assert again.clock() - datetime.now(UTC) > timedelta(days=2) - timedelta(minutes=1)
    again.close()


def test_a_fixed_clock_given_to_the_sandbox_cannot_be_moved() -> None:
    box = Sandbox(clock=lambda: LATER)
    request = SandboxRequest.from_url("POST", "https://s/_sandbox/clock", {}, json.dumps({"advance": "1d"}))
    answer = box.dispatch(request)
    assert answer.status == 409 and answer.body["error"] == "clock_not_movable"
    assert box.clock() == LATER


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("2d", timedelta(days=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1.5h", timedelta(minutes=90)),
        (" 2D ", timedelta(days=2)),
    ],
)
def test_durations(text: str, delta: timedelta) -> None:
    assert parse_duration(text) == delta


@pytest.mark.parametrize("text", ["", "2", "d", "2w", "1d 2h", "-1d", "2dd"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)
