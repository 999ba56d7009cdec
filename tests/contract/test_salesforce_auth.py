"""Salesforce OAuth and sessions, through plain requests and simple-salesforce."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from tests.contract.conftest import SF_VERSION


def test_client_credentials_token_response(sf_login: dict[str, Any]) -> None:
    # Salesforce docs: : client credentials (HTTP Basic) answers an access token and the instance URL.
    assert sf_login["access_token"]
    assert sf_login["instance_url"].startswith("https://")
    assert sf_login["token_type"] == "Bearer"
    assert {"id", "issued_at", "signature"} <= set(sf_login)


def test_token_works_for_api_calls(sf: Salesforce) -> None:
    # Salesforce docs: : the token is a session id usable with Salesforce(session_id=, instance_url=).
    assert sf.query("SELECT Id FROM User LIMIT 1")["totalSize"] == 1


def test_wrong_client_secret_is_invalid_client(http: requests.Session, env: dict[str, str]) -> None:
    # Salesforce docs: (token endpoint): bad client credentials are a 400 OAuth error, not a token.
    answer = http.post(
        f"{env['SALESFORCE_LOGIN_URL']}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(env["SALESFORCE_CLIENT_ID"], "not-the-secret"),
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client"


def test_bad_token_is_401_invalid_session_id(http: requests.Session, sf_login: dict[str, Any]) -> None:
    # Salesforce docs: an invalid session is 401 with errorCode INVALID_SESSION_ID (a JSON list).
    bad = Salesforce(
        instance_url=sf_login["instance_url"], session_id="00D!bogus", version=SF_VERSION, session=http
    )
    with pytest.raises(SalesforceExpiredSession) as caught:
        bad.query("SELECT Id FROM User")
    assert caught.value.status == 401
    assert caught.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
