"""The demo data set: its shape, read back through the emulators' query and list helpers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from sandbox.app import Sandbox
from sandbox.core import SandboxRequest
from sandbox.demo_data import DemoSummary, seed_demo

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
NAME_FORMAT = re.compile(r"^[A-Z][\w' .-]* - [A-Z].+$")


@pytest.fixture
def demo(sandbox: Sandbox) -> DemoSummary:
    return seed_demo(sandbox, NOW)


def soql(sandbox: Sandbox, query: str) -> list[dict[str, Any]]:
    """Run a SOQL query through the Salesforce emulator's REST handler."""
    token = sandbox.salesforce.issue_token()
    request = SandboxRequest.from_url(
        "GET",
        f"https://sandbox.local/services/data/v62.0/query?q={quote(query)}",
        {"Authorization": f"Bearer {token}"},
        None,
    )
    response = sandbox.salesforce.handle(request)
    assert response.status == 200, response.body
    assert response.body["done"]
    return list(response.body["records"])


def hubspot_get(sandbox: Sandbox, path: str) -> dict[str, Any]:
    token = sandbox.hubspot.settings.access_token
    request = SandboxRequest.from_url(
        "GET", f"https://sandbox.local{path}", {"Authorization": f"Bearer {token}"}, None
    )
    response = sandbox.hubspot.handle(request)
    assert response.status == 200, response.body
    return dict(response.body)


SLI_FIELDS = (
    "Id, Name, CreatedDate, Incident_Date__c, Client_Status__c, Referral_Status__c, Referral_Account__c, "
    "Intervention_Plan__c, Exception_Approved__c"
)


def test_every_colour_and_variant_is_present(sandbox: Sandbox, demo: DemoSummary) -> None:
    rows = soql(sandbox, f"SELECT {SLI_FIELDS} FROM Service_Level_Intervention__c")
    assert {r["Client_Status__c"] for r in rows} == {"Green", "Yellow", "Orange", "Red"}
    assert {r["Referral_Status__c"] for r in rows} == {"Green", "Orange", "Red", None}
    assert {r["Referral_Account__c"] is None for r in rows} == {True, False}
    assert {r["Intervention_Plan__c"] is None for r in rows} == {True, False}
    assert [r["Id"] for r in rows if r["Exception_Approved__c"]] == [
        demo.cases["salesforce.sli_exception_approved"]
    ]
    assert [r["Id"] for r in rows if not NAME_FORMAT.match(r["Name"])] == [
        demo.cases["salesforce.sli_bad_name"]
    ]
    assert len(rows) == len(demo.slis) == demo.counts["salesforce.Service_Level_Intervention__c"]


def test_dates_spread_over_the_last_40_days(sandbox: Sandbox, demo: DemoSummary) -> None:
    rows = soql(sandbox, f"SELECT {SLI_FIELDS} FROM Service_Level_Intervention__c ORDER BY CreatedDate")
    created = [datetime.strptime(r["CreatedDate"], "%Y-%m-%dT%H:%M:%S.%f%z") for r in rows]
    assert NOW - timedelta(days=41) <= created[0] < NOW - timedelta(days=30)
    assert NOW - timedelta(days=1) < created[-1] <= NOW
    assert len({c.date() for c in created}) >= 7
    for row, moment in zip(rows, created, strict=True):
        assert row["Incident_Date__c"] <= moment.date().isoformat()


def test_relationships_resolve_five_levels_deep(sandbox: Sandbox, demo: DemoSummary) -> None:
    rows = soql(
        sandbox,
        "SELECT Id, Referral_Account__r.Owner.Manager.Manager.Email, "
        "Referral_Account__r.CC_Location_Office__r.Region__r.Division_Head__r.Email, "
        "Referral_Account__r.Owner.IsActive, Office__r.Regional_Director__c, "
        "Office__r.Region__r.Division_Head__c, Office__r.Regional_Client_Success_Manager__r.Email "
        "FROM Service_Level_Intervention__c WHERE Referral_Account__c != null",
    )
    for row in rows:
        referral = row["Referral_Account__r"]
        assert referral["Owner"]["Manager"]["Manager"]["Email"].endswith("@demo.crm-sync.test")
        assert referral["CC_Location_Office__r"]["Region__r"]["Division_Head__r"]["Email"]
        assert row["Office__r"]["Regional_Client_Success_Manager__r"]["Email"]
    inactive = [r["Id"] for r in rows if not r["Referral_Account__r"]["Owner"]["IsActive"]]
    assert inactive == [demo.cases["salesforce.sli_inactive_referral_owner"]]
    two_roles = [
        r["Id"]
        for r in rows
        if r["Office__r"]["Regional_Director__c"] == r["Office__r"]["Region__r"]["Division_Head__c"]
    ]
    assert demo.cases["salesforce.sli_two_roles"] in two_roles


def test_user_hierarchy(sandbox: Sandbox, demo: DemoSummary) -> None:
    users = [u for u in sandbox.salesforce.records("User") if u["Email"].endswith("@demo.crm-sync.test")]
    assert len(users) == demo.counts["salesforce.User"] >= 10
    assert [u["Id"] for u in users if not u["IsActive"]] == [demo.cases["salesforce.user_inactive"]]
    assert sum(1 for u in users if u["ManagerId"]) >= 10
    regions = sandbox.salesforce.records("Region__c")
    offices = sandbox.salesforce.records("Office__c")
    assert (len(regions), len(offices)) == (3, 4)
    assert all(r["Division_Head__c"] for r in regions)
    assert all(
        o["Region__c"] and o["Regional_Director__c"] and o["Regional_Client_Success_Manager__c"]
        for o in offices
    )
    referrals = [a for a in sandbox.salesforce.records("Account") if a["CC_Location_Office__c"]]
    assert len(referrals) >= 4


def test_hubspot_owners_companies_and_contacts(sandbox: Sandbox, demo: DemoSummary) -> None:
    owners = hubspot_get(sandbox, "/crm/v3/owners?limit=100")["results"]
    teams: dict[str, list[str]] = {}
    for owner in owners:
        for team in owner["teams"]:
            teams.setdefault(team["name"], []).append(owner["id"])
    assert {name: len(ids) for name, ids in teams.items()} == {
        "Customer Success": 3,
        "Customer Success Managers": 2,
        "BPA": 2,
    }
    companies = sandbox.hubspot.objects("companies")
    analysts = [c["properties"].get("cs_business_analyst") for c in companies]
    assert {a for a in analysts if a} <= set(teams["Customer Success"])
    assert None in analysts and any(analysts)
    contacts = sandbox.hubspot.objects("contacts")
    assert len(contacts) == demo.counts["hubspot.contacts"] >= 10
    no_email = [c["id"] for c in contacts if not c["properties"].get("email")]
    assert no_email == [demo.cases["hubspot.contact_no_email"]]
    listed = hubspot_get(sandbox, "/crm/v3/objects/contacts?limit=100&associations=companies")["results"]
    without_company = [c["id"] for c in listed if not c.get("associations", {}).get("companies")]
    assert without_company == [demo.cases["hubspot.contact_no_company"]]


def test_feedback_submissions(sandbox: Sandbox, demo: DemoSummary) -> None:
    submissions = sandbox.hubspot.objects("feedback_submissions")
    nps = [s["properties"] for s in submissions if s["properties"]["hs_survey_type"] == "NPS"]
    values = [p.get("hs_value") for p in nps]
    assert {str(n) for n in range(11)} <= set(values)
    assert {"N/A", "11", "7.5"} <= set(values)
    assert None in values  # the blank score (HubSpot stores "" as unset)
    assert all(p.get("hs_content") for p in nps)
    assert [s["id"] for s in submissions if s["properties"]["hs_survey_type"] == "CSAT"] == [
        demo.cases["hubspot.csat_submission"]
    ]
    stamps = sorted(datetime.fromisoformat(s["properties"]["hs_submission_timestamp"]) for s in submissions)
    assert NOW - timedelta(days=5) <= stamps[0] and stamps[-1] <= NOW
    listed = hubspot_get(
        sandbox,
        "/crm/v3/objects/feedback_submissions?limit=100&properties=hs_contact_id&associations=contacts",
    )["results"]
    assert len(listed) == len(submissions)
    for item in listed:
        linked = [a["id"] for a in item["associations"]["contacts"]["results"]]
        assert linked == [item["properties"]["hs_contact_id"]]
