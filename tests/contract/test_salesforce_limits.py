"""Salesforce API allocations: the Sforce-Limit-Info header and REQUEST_LIMIT_EXCEEDED."""

from __future__ import annotations

import re

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceRefusedRequest

from tests.contract.conftest import Backdoor, SfCall

USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


def usage(header: str) -> tuple[int, int]:
    match = USAGE.search(header)
    assert match, header
    return int(match.group(1)), int(match.group(2))


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm (Sforce-Limit-Info: api-usage=N/MAX)")
def test_limit_info_header_counts_calls(sf_call: SfCall) -> None:
    first = usage(sf_call("GET", "limits").headers["Sforce-Limit-Info"])
    second = usage(sf_call("GET", "sobjects").headers["Sforce-Limit-Info"])
    assert second[0] > first[0]
    assert second[1] == first[1] > 0


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_limits.htm (Max and Remaining per allocation)")
def test_limits_resource_lists_daily_allocations(sf: Salesforce) -> None:
    limits = sf.limits()
    for name in ("DailyApiRequests", "SingleEmail", "DailyWorkflowEmails", "MassEmail"):
        assert set(limits[name]) >= {"Max", "Remaining"}
    assert "api-usage" in sf.api_usage


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm (403 REQUEST_LIMIT_EXCEEDED)")
def test_spent_allocation_is_403_request_limit_exceeded(sf: Salesforce, backdoor: Backdoor) -> None:
    backdoor.salesforce_daily_budget(3)
    with pytest.raises(SalesforceRefusedRequest) as caught:
        for _ in range(5):
            sf.query("SELECT Id FROM User LIMIT 1")
    assert caught.value.status == 403
    assert caught.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
