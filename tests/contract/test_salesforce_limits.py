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


def test_limit_info_header_counts_calls(sf_call: SfCall) -> None:
    # Salesforce docs: (REST "Limit Info Header"): Sforce-Limit-Info: api-usage=N/MAX on REST responses.
    first = usage(sf_call("GET", "limits").headers["Sforce-Limit-Info"])
    second = usage(sf_call("GET", "sobjects").headers["Sforce-Limit-Info"])
    assert second[0] > first[0]
    assert second[1] == first[1] > 0


def test_limits_resource_lists_daily_allocations(sf: Salesforce) -> None:
    # Salesforce docs: : /limits reports {Max, Remaining} for DailyApiRequests, SingleEmail, ...
    limits = sf.limits()
    for name in ("DailyApiRequests", "SingleEmail", "DailyWorkflowEmails", "MassEmail"):
        assert set(limits[name]) >= {"Max", "Remaining"}
    assert "api-usage" in sf.api_usage


def test_spent_allocation_is_403_request_limit_exceeded(sf: Salesforce, backdoor: Backdoor) -> None:
    # Salesforce docs: REQUEST_LIMIT_EXCEEDED is a 403 (SalesforceRefusedRequest), not a 429.
    backdoor.salesforce_daily_budget(3)
    with pytest.raises(SalesforceRefusedRequest) as caught:
        for _ in range(5):
            sf.query("SELECT Id FROM User LIMIT 1")
    assert caught.value.status == 403
    assert caught.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
