"""Salesforce OAuth and sessions, through plain requests and simple-salesforce."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from tests.contract.conftest import SF_VERSION


@pytest.mark.documented("https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm (access_token, instance_url, id, token_type, issued_at, signature)")
def test_client_credentials_token_response(sf_login: dict[str, Any]) -> None:
    assert sf_login["access_token"]
    assert sf_login["instance_url"].startswith("https://")
    assert sf_login["token_type"] == "Bearer"
    assert {"id", "issued_at", "signature"} <= set(sf_login)


@pytest.mark.documented("https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm (the access token is a bearer session for the REST API)")
def test_token_works_for_api_calls(sf: Salesforce) -> None:
    assert sf.query("SELECT Id FROM User LIMIT 1")["totalSize"] == 1


@pytest.mark.documented("https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (invalid_client); https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm")
def test_wrong_client_secret_is_invalid_client(http: requests.Session, env: dict[str, str]) -> None:
    answer = http.post(
        f"{env['SALESFORCE_LOGIN_URL']}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(env["SALESFORCE_CLIENT_ID"], "not-the-secret"),
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_client"


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm (401: session ID or OAuth token expired or invalid)")
def test_bad_token_is_401_invalid_session_id(http: requests.Session, sf_login: dict[str, Any]) -> None:
    bad = Salesforce(
        instance_url=sf_login["instance_url"], session_id="00D!bogus", version=SF_VERSION, session=http
    )
    with pytest.raises(SalesforceExpiredSession) as caught:
        bad.query("SELECT Id FROM User")
    assert caught.value.status == 401
    assert caught.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
