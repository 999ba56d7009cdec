"""The query resources through simple-salesforce: paging, batch sizes, long-text cap, queryAll, errors."""

from __future__ import annotations

import re

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sandbox.salesforce import SalesforceEmulator
from sandbox.seeds.salesforce import ReferenceOrg

LOCATOR_URL = re.compile(r"/services/data/v62\.0/query/01g[0-9A-Za-z]{15}-(\d+)")


def add_interventions(emulator: SalesforceEmulator, count: int, client: str | None = None) -> None:
    for i in range(count):
        emulator.insert(
            "Service_Level_Intervention__c",
            {"Name": f"SLI-{i:05d}", "Client__c": client, "Intervention_Plan__c": "plan " * 3},
        )


def test_results_page_by_2000_and_query_all_follows_next_records_url(
    sf: Salesforce, emulator: SalesforceEmulator
) -> None:
    add_interventions(emulator, 2450)
    soql = "SELECT Id, Name FROM Service_Level_Intervention__c ORDER BY Name"
    first = sf.query(soql)
    assert (first["totalSize"], first["done"], len(first["records"])) == (2450, False, 2000)
    match = LOCATOR_URL.fullmatch(first["nextRecordsUrl"])
    assert match and match.group(1) == "2000"
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert (second["done"], len(second["records"]), "nextRecordsUrl" in second) == (True, 450, False)
    everything = sf.query_all(soql)["records"]
    assert [r["Name"] for r in everything] == [f"SLI-{i:05d}" for i in range(2450)]


def test_batch_size_header(sf: Salesforce, emulator: SalesforceEmulator) -> None:
    add_interventions(emulator, 450)
    soql = "SELECT Name FROM Service_Level_Intervention__c"
    sizes = [len(page["records"]) for page in pages(sf, soql, "batchSize=200")]
    assert sizes == [200, 200, 50]
    assert [len(p["records"]) for p in pages(sf, soql, "batchSize=50")] == [
        200,
        200,
        50,
    ]  # 200 is the minimum
    assert [len(p["records"]) for p in pages(sf, soql, "batchSize=5000")] == [450]


def pages(sf: Salesforce, soql: str, options: str) -> list[dict]:
    headers = {"Sforce-Query-Options": options}
    out = [sf.query(soql, headers=headers)]
    while not out[-1]["done"]:
        out.append(sf.query_more(out[-1]["nextRecordsUrl"], identifier_is_url=True, headers=headers))
    return out


def test_two_long_text_fields_cap_the_batch_at_200(
    sf: Salesforce, emulator: SalesforceEmulator, org: ReferenceOrg
) -> None:
    add_interventions(emulator, 450, client=org.client)
    one_long = sf.query("SELECT Name, Intervention_Plan__c FROM Service_Level_Intervention__c")
    assert len(one_long["records"]) == 451
    two_long = sf.query(
        "SELECT Name, Intervention_Plan__c, Client__r.Description FROM Service_Level_Intervention__c"
    )
    assert (len(two_long["records"]), two_long["totalSize"]) == (200, 451)
    assert (
        len(
            sf.query_all(
                "SELECT Intervention_Plan__c, Client__r.Description FROM Service_Level_Intervention__c"
            )["records"]
        )
        == 451
    )


def test_deleted_rows_only_through_query_all(sf: Salesforce, org: ReferenceOrg) -> None:
    sf.Service_Level_Intervention__c.delete(org.sli)
    soql = "SELECT Name, IsDeleted FROM Service_Level_Intervention__c"
    assert sf.query(soql)["records"] == []
    [row] = sf.query_all(soql, include_deleted=True)["records"]
    assert (row["Name"], row["IsDeleted"]) == ("SLI-0001", True)
    assert sf.query_all(soql + " WHERE IsDeleted = false", include_deleted=True)["records"] == []


def test_query_all_cursor_keeps_deleted_rows(sf: Salesforce, emulator: SalesforceEmulator) -> None:
    add_interventions(emulator, 2100)
    ids = [r["Id"] for r in emulator.records("Service_Level_Intervention__c")]
    sf.restful("composite/sobjects", method="DELETE", params={"ids": ",".join(ids[-5:])})
    rows = sf.query_all("SELECT Id, IsDeleted FROM Service_Level_Intervention__c", include_deleted=True)[
        "records"
    ]
    assert len(rows) == 2100 and sum(r["IsDeleted"] for r in rows) == 5


def test_deep_relationship_paths(sf: Salesforce, org: ReferenceOrg) -> None:
    [row] = sf.query(
        "SELECT Referral_Account__r.Owner.Manager.Email, Referral_Account__r.Owner.Manager.Manager.Email, "
        "Client__r.CC_Location_Office__r.Region__r.Division_Head__r.Email "
        "FROM Service_Level_Intervention__c"
    )["records"]
    manager = row["Referral_Account__r"]["Owner"]["Manager"]
    assert (manager["Email"], manager["Manager"]["Email"]) == ("mgr@org.test", "head@org.test")
    head = row["Client__r"]["CC_Location_Office__r"]["Region__r"]["Division_Head__r"]
    assert head == {
        "attributes": {"type": "User", "url": f"/services/data/v62.0/sobjects/User/{org.division_head}"},
        "Email": "head@org.test",
    }


def test_count_and_errors_through_the_client(sf: Salesforce, org: ReferenceOrg) -> None:
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 2
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Service_Level_Intervention__c WHERE Intervention_Plan__c != null")
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Id FROM Nothing__c")
    assert caught.value.content[0]["errorCode"] == "INVALID_TYPE"
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more("01g8c0000000009AAA-2000")
    assert caught.value.content == [
        {"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}
    ]
