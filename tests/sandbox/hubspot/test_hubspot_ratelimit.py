"""Rate-limit headers and 429s by the injected clock."""

from __future__ import annotations

import pytest

from sandbox.hubspot import HubSpotEmulator, HubSpotSettings


@pytest.fixture
def emulator(outbox, clock) -> HubSpotEmulator:
    return HubSpotEmulator(outbox, clock=clock, settings=HubSpotSettings(rate_limit_per_10s=5, daily_limit=8))


def test_headers_count_down_the_window(api):
    headers = api("GET", "/crm/v3/objects/tickets").headers
    assert headers == {
        "X-HubSpot-RateLimit-Daily": "8",
        "X-HubSpot-RateLimit-Daily-Remaining": "7",
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        "X-HubSpot-RateLimit-Max": "5",
        "X-HubSpot-RateLimit-Remaining": "4",
        "X-HubSpot-RateLimit-Secondly": "1",
        "X-HubSpot-RateLimit-Secondly-Remaining": "0",
    }
    assert api("GET", "/crm/v3/objects/tickets").headers["X-HubSpot-RateLimit-Remaining"] == "3"


def test_ten_secondly_rolling_window(api, clock):
    for _ in range(5):
        assert api("GET", "/crm/v3/objects/tickets").status == 200
        clock.advance(1)
    limited = api("GET", "/crm/v3/objects/tickets")
    assert limited.status == 429
    assert limited.body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert limited.body["errorType"] == "RATE_LIMIT"
    assert limited.body["message"] == "You have reached your ten_secondly_rolling limit."
    assert limited.body["correlationId"] and limited.body["groupName"]
    assert limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    clock.advance(5.01)  # the first request (10 s ago) leaves the rolling window
    assert api("GET", "/crm/v3/objects/tickets").status == 200
    assert api("GET", "/crm/v3/objects/tickets").status == 429


def test_daily_limit_resets_at_midnight(api, clock):
    for _ in range(8):
        clock.advance(10)
        assert api("GET", "/crm/v3/objects/tickets").status == 200
    clock.advance(10)
    daily = api("GET", "/crm/v3/objects/tickets")
    assert daily.status == 429 and daily.body["policyName"] == "DAILY"
    clock.advance(24 * 3600)
    assert api("GET", "/crm/v3/objects/tickets").status == 200


def test_refused_requests_do_not_count(api, clock):
    for _ in range(5):
        api("GET", "/crm/v3/objects/tickets")
    for _ in range(3):
        assert api("GET", "/crm/v3/objects/tickets").status == 429
    clock.advance(10.01)
    assert api("GET", "/crm/v3/objects/tickets").headers["X-HubSpot-RateLimit-Remaining"] == "4"
