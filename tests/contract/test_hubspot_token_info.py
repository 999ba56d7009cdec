"""Private app token introspection, which the doctor reads the token's scopes from."""

from __future__ import annotations

import pytest
import requests

from tests.contract.conftest import Backdoor


@pytest.mark.documented(
    "HubSpot, Private apps: POST /oauth/v2/private-apps/get/access-token-info with {tokenKey} answers "
    "{userId, hubId, appId, scopes} (developers.hubspot.com/docs/api/private-apps)"
)
def test_token_info_lists_the_scopes(http: requests.Session, env: dict[str, str], backdoor: Backdoor) -> None:
    url = f"{env['HUBSPOT_BASE_URL']}/oauth/v2/private-apps/get/access-token-info"
    info = http.post(url, json={"tokenKey": env["HUBSPOT_ACCESS_TOKEN"]}, timeout=10)
    assert info.status_code == 200, info.text
    body = info.json()
    assert {"userId", "hubId", "appId", "scopes"} <= set(body)
    assert "tickets" in body["scopes"] and "transactional-email" in body["scopes"]
    backdoor.monkeypatch.setattr(backdoor.server.sandbox.hubspot.settings, "scopes", ("tickets",))
    assert http.post(url, json={"tokenKey": env["HUBSPOT_ACCESS_TOKEN"]}, timeout=10).json()["scopes"] == [
        "tickets"
    ]


@pytest.mark.guessed("the status and body HubSpot answers for an unknown token are not documented (401 here)")
def test_token_info_refuses_an_unknown_token(http: requests.Session, env: dict[str, str]) -> None:
    url = f"{env['HUBSPOT_BASE_URL']}/oauth/v2/private-apps/get/access-token-info"
    assert http.post(url, json={"tokenKey": "pat-unknown"}, timeout=10).status_code >= 400
