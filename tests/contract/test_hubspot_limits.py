"""HubSpot rate limits: headers on normal answers, none on search, 429 bodies with policyName."""

from __future__ import annotations

import json

import pytest
from hubspot import HubSpot
from hubspot.crm.objects.exceptions import ApiException

from tests.contract.conftest import Backdoor, HsCall

HEADERS = (
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
)


@pytest.mark.documented("https://developers.hubspot.com/docs/api/usage-details (X-HubSpot-RateLimit-* headers)")
def test_rate_limit_headers_on_non_search_answers(hs_call: HsCall) -> None:
    first = hs_call("GET", "crm/v3/objects/contacts")
    second = hs_call("GET", "crm/v3/objects/contacts")
    for name in HEADERS:
        assert first.headers[name].isdigit(), name
    assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(second.headers["X-HubSpot-RateLimit-Remaining"]) < int(
        first.headers["X-HubSpot-RateLimit-Remaining"]
    )


@pytest.mark.documented("https://developers.hubspot.com/docs/api/usage-details (the search endpoints return no rate-limit headers)")
def test_search_answers_carry_no_rate_limit_headers(hs_call: HsCall) -> None:
    answer = hs_call("POST", "crm/v3/objects/contacts/search", json={})
    assert answer.status_code == 200
    assert not [h for h in answer.headers if h.lower().startswith("x-hubspot-ratelimit")]


@pytest.mark.documented("https://developers.hubspot.com/docs/api/usage-details (429 body with errorType RATE_LIMIT and policyName)")
def test_burst_limit_is_429_ten_secondly_rolling(hs: HubSpot, backdoor: Backdoor) -> None:
    backdoor.hubspot_burst_limit(3)
    with pytest.raises(ApiException) as caught:
        for _ in range(5):
            hs.crm.objects.basic_api.get_page("contacts")
    assert caught.value.status == 429
    body = json.loads(caught.value.body)
    assert body["status"] == "error"
    assert body["errorType"] == "RATE_LIMIT"
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["correlationId"] and body["message"]


@pytest.mark.documented("https://developers.hubspot.com/docs/api-reference/search/guide (Limits: 5 requests per second)")
def test_search_limit_is_429_secondly(hs_call: HsCall) -> None:
    statuses = []
    for _ in range(12):
        answer = hs_call("POST", "crm/v3/objects/contacts/search", json={})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert answer.json()["policyName"] == "SECONDLY"
            break
    assert statuses[-1] == 429
    assert statuses.count(200) >= 5


@pytest.mark.documented("https://developers.hubspot.com/docs/api/usage-details (X-HubSpot-RateLimit-Daily and -Daily-Remaining are not sent for OAuth-authorised calls); HubSpot changelog")
def test_oauth_answers_carry_no_daily_limit_headers(hs_call: HsCall, backdoor: Backdoor) -> None:
    oauth = {"Authorization": f"Bearer {backdoor.hubspot_oauth_token()}"}
    answer = hs_call("GET", "crm/v3/objects/contacts", headers=oauth)
    assert answer.status_code == 200, answer.text
    assert "X-HubSpot-RateLimit-Daily" not in answer.headers
    assert "X-HubSpot-RateLimit-Daily-Remaining" not in answer.headers
    assert answer.headers["X-HubSpot-RateLimit-Remaining"].isdigit()


@pytest.mark.documented("https://developers.hubspot.com/docs/api/oauth/tokens (GET oauth/v1/access-tokens/{token}: hub_id, scopes, token_type)")
def test_an_oauth_token_is_introspected(hs_call: HsCall, backdoor: Backdoor) -> None:
    token = backdoor.hubspot_oauth_token()
    info = hs_call("GET", f"oauth/v1/access-tokens/{token}")
    assert info.status_code == 200, info.text
    assert info.json()["hub_id"] and "tickets" in info.json()["scopes"]
    assert hs_call("GET", "oauth/v1/access-tokens/no-such-token").status_code >= 400
