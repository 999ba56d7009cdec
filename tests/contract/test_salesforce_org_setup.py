"""Org setup the doctor reads: feed tracking and external-id flags in describe, org-wide addresses,
the API versions, and deliverability (through the one Apex call that reveals it)."""

from __future__ import annotations

import pytest
import requests

from tests.contract.conftest import Backdoor, SfCall

RESERVE = "Messaging.reserveSingleEmailCapacity(1);"


@pytest.mark.documented(
    "Object reference, DescribeSObjectResult: feedEnabled; DescribeFieldResult: externalId, unique "
    "(developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_describesobjects_describesobjectresult.htm)"
)
def test_describe_says_feed_tracking_and_external_id_flags(sf_call: SfCall, backdoor: Backdoor) -> None:
    sli = sf_call("GET", "sobjects/Service_Level_Intervention__c/describe").json()
    assert sli["feedEnabled"] is True
    key = next(
        f for f in sf_call("GET", "sobjects/Task/describe").json()["fields"] if f["name"] == "Crm_Sync_Key__c"
    )
    assert key["externalId"] is True and key["unique"] is True
    settings = backdoor.server.sandbox.salesforce.settings
    backdoor.monkeypatch.setattr(settings, "feed_tracking_off", frozenset({"Service_Level_Intervention__c"}))
    assert sf_call("GET", "sobjects/Service_Level_Intervention__c/describe").json()["feedEnabled"] is False


@pytest.mark.documented(
    "Object reference, OrgWideEmailAddress: Address, DisplayName, IsAllowAllProfiles, IsVerified (API 58.0+) "
    "(developer.salesforce.com/docs/atlas.en-us.object_reference.meta/api/sforce_api_objects_orgwideemailaddress.htm)"
)
def test_org_wide_addresses_carry_whether_they_are_verified(sf_call: SfCall) -> None:
    rows = sf_call("GET", "query", params={"q": "SELECT Id, Address, IsVerified FROM OrgWideEmailAddress"})
    assert rows.status_code == 200, rows.text
    [row] = rows.json()["records"]
    assert row["Address"] and row["IsVerified"] is True
    assert row["attributes"]["type"] == "OrgWideEmailAddress" and row["Id"].startswith("0D2")
    changed = sf_call("PATCH", f"sobjects/OrgWideEmailAddress/{row['Id']}", json={"IsVerified": False})
    assert changed.status_code == 204, changed.text


@pytest.mark.documented(
    "REST API Developer Guide, Versions: GET /services/data/ lists {label, url, version} without a session "
    "(developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_versions.htm)"
)
def test_versions_are_listed_without_a_session(http: requests.Session, base_url: str) -> None:
    answer = http.get(f"{base_url}/services/data/", timeout=10)
    assert answer.status_code == 200
    assert {"label", "url", "version"} <= set(answer.json()[0])
    assert "62.0" in [v["version"] for v in answer.json()]


@pytest.mark.documented(
    "Tooling API, executeAnonymous: GET tooling/executeAnonymous/?anonymousBody= answers an "
    "ExecuteAnonymousResult {compiled, success, line, column, compileProblem, exceptionMessage, "
    "exceptionStackTrace} (developer.salesforce.com/docs/atlas.en-us.api_tooling.meta/api_tooling/"
    "intro_rest_resources.htm)"
)
def test_execute_anonymous_answers_a_result(sf_call: SfCall) -> None:
    answer = sf_call("GET", "tooling/executeAnonymous", params={"anonymousBody": RESERVE})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["compiled"] is True and result["success"] is True and result["exceptionMessage"] is None


@pytest.mark.guessed(
    "Deliverability has no REST resource. The Apex reference says reserveSingleEmailCapacity throws "
    "System.NoAccessException 'The organization is not permitted to send email' when the org may not send "
    "email; whether 'System email only' counts as such, and the exact executeAnonymous result for it, "
    "were not captured from a real org"
)
@pytest.mark.parametrize("level", ["system_email_only", "no_access"])
def test_deliverability_shows_as_no_access_exception(sf_call: SfCall, backdoor: Backdoor, level: str) -> None:
    backdoor.monkeypatch.setattr(backdoor.server.sandbox.salesforce.settings, "email_deliverability", level)
    result = sf_call("GET", "tooling/executeAnonymous", params={"anonymousBody": RESERVE}).json()
    assert result["compiled"] is True and result["success"] is False
    assert result["exceptionMessage"].startswith("System.NoAccessException")
