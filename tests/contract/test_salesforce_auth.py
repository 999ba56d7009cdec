"""Salesforce OAuth and sessions, through plain requests and simple-salesforce."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceExpiredSession

from sandbox.salesforce.auth import JWT_GRANT
from sandbox.salesforce.testing import rsa_key_pair
from tests.contract.conftest import SF_VERSION, Backdoor


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


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.chatterapi.meta/chatterapi/quickstart_connecting.htm (token response: access_token, signature, token_format, instance_url, id, token_type, issued_at)")
def test_token_response_carries_token_format(sf_login: dict[str, Any]) -> None:
    assert sf_login["token_format"] == "opaque"


@pytest.mark.documented("https://github.com/pozil/pub-sub-api-node-client/issues/58 (a real answer: 400 invalid_grant 'request not supported on this domain' for client credentials through login.salesforce.com)")
@pytest.mark.parametrize("host", ["login.salesforce.com", "test.salesforce.com"])
def test_client_credentials_through_a_generic_login_host_is_invalid_grant(
    http: requests.Session, env: dict[str, str], live: Any, host: str
) -> None:
    if live.active:  # the real host
        url, headers = f"https://{host}/services/oauth2/token", {}
    else:  # the served sandbox, asked as that host
        url, headers = f"{env['SALESFORCE_LOGIN_URL']}/services/oauth2/token", {"Host": host}
    answer = http.post(
        url,
        data={"grant_type": "client_credentials"},
        auth=(env["SALESFORCE_CLIENT_ID"], env["SALESFORCE_CLIENT_SECRET"]),
        headers=headers,
        timeout=10,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert "not supported on this domain" in answer.json()["error_description"]


def _jwt_login(http: requests.Session, env: dict[str, str], private_key: str, aud: str) -> requests.Response:
    claims = {
        "iss": env["SALESFORCE_CLIENT_ID"],
        "sub": "integration@crm-sync.sandbox",
        "aud": aud,
        "exp": int(time.time()) + 180,
    }
    return http.post(
        f"{env['SALESFORCE_LOGIN_URL']}/services/oauth2/token",
        data={"grant_type": JWT_GRANT, "assertion": jwt.encode(claims, private_key, algorithm="RS256")},
        timeout=10,
    )


@pytest.mark.documented("https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm (aud: https://login.salesforce.com, https://test.salesforce.com for a sandbox, or an Experience Cloud site URL)")
def test_jwt_audience_is_the_generic_login_host_of_the_org_type(
    http: requests.Session, env: dict[str, str], backdoor: Backdoor
) -> None:
    private, public = rsa_key_pair()
    settings = backdoor.server.sandbox.salesforce.settings
    backdoor.monkeypatch.setattr(settings, "jwt_public_key_pem", public)
    own_host = env["SALESFORCE_LOGIN_URL"]
    assert _jwt_login(http, env, private, "https://login.salesforce.com").status_code == 200
    for wrong in (own_host, "https://test.salesforce.com", "https://acme.my.salesforce.com"):
        answer = _jwt_login(http, env, private, wrong)
        assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant"), wrong
    backdoor.monkeypatch.setattr(settings, "org_type", "sandbox")
    assert _jwt_login(http, env, private, "https://test.salesforce.com").status_code == 200
    assert _jwt_login(http, env, private, "https://login.salesforce.com").status_code == 400
    backdoor.monkeypatch.setattr(settings, "experience_sites", ("https://acme.my.site.com/partners",))
    assert _jwt_login(http, env, private, "https://acme.my.site.com/partners").status_code == 200
