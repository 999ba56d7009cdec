"""SOQL through simple-salesforce: paging, relationship paths, queryAll."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.contract.conftest import Backdoor


def drain(sf: Salesforce, first: dict[str, Any], **kwargs: Any) -> list[list[dict[str, Any]]]:
    """Every batch of a query, following nextRecordsUrl until done."""
    batches = [first["records"]]
    page = first
    while not page["done"]:
        page = sf.query_more(page["nextRecordsUrl"], identifier_is_url=True, **kwargs)
        batches.append(page["records"])
    return batches


def user(backdoor: Backdoor, name: str, manager: str | None = None) -> str:
    """A User via the backdoor: in a live org users cost licences and need a profile, so use existing ones."""
    fields = {"Username": f"{name}@contract.test", "LastName": name, "Email": f"{name}@contract.test"}
    if manager:
        fields["ManagerId"] = manager
    return backdoor.salesforce_rows("User", [fields])[0]


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm (batches of up to 2,000, nextRecordsUrl until done)")
def test_default_batch_is_2000_rows_with_next_records_url(sf: Salesforce, backdoor: Backdoor) -> None:
    # 2,500 rows are seeded through the emulator helper: the check is only about paging.
    seeded = backdoor.salesforce_rows("Account", ({"Name": f"Paging {i:04}"} for i in range(2500)))
    first = sf.query("SELECT Id FROM Account")
    assert first["totalSize"] == 2500
    assert not first["done"]
    assert first["nextRecordsUrl"].startswith("/services/data/")
    batches = drain(sf, first)
    assert all(len(batch) <= 2000 for batch in batches)
    assert len(batches) >= 2
    assert sorted(r["Id"] for b in batches for r in b) == sorted(seeded)


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_queryoptions.htm (Sforce-Query-Options: batchSize, 200 to 2,000)")
def test_batch_size_header(sf: Salesforce, backdoor: Backdoor) -> None:
    # Seeded through the emulator helper: the check is only about paging.
    backdoor.salesforce_rows("Account", ({"Name": f"Batch {i:04}"} for i in range(1100)))
    options = {"headers": {"Sforce-Query-Options": "batchSize=500"}}
    first = sf.query("SELECT Id, Name FROM Account", **options)
    batches = drain(sf, first, **options)
    assert all(len(batch) <= 500 for batch in batches)
    assert sum(len(batch) for batch in batches) == 1100


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_changing_batch_size.htm (two or more long text fields: at most 200 rows)")
def test_two_long_text_fields_cap_the_batch_at_200(sf: Salesforce, backdoor: Backdoor) -> None:
    # Seeded through the emulator helper: the check is only about paging.
    client = backdoor.salesforce_rows("Account", [{"Name": "Long text client", "Description": "x" * 300}])[0]
    rows = ({"Name": f"SLI {i}", "Client__c": client, "Intervention_Plan__c": "plan"} for i in range(450))
    backdoor.salesforce_rows("Service_Level_Intervention__c", rows)
    first = sf.query(
        "SELECT Id, Intervention_Plan__c, Client__r.Description FROM Service_Level_Intervention__c"
    )
    batches = drain(sf, first)
    assert all(len(batch) <= 200 for batch in batches)
    assert sum(len(batch) for batch in batches) == 450


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_query_limits.htm (five levels child-to-parent); null for an empty lookup as recorded in jsmithdev/soqe test/test_sfdx_soql.js")
def test_relationship_paths_five_levels_with_null_lookups(sf: Salesforce, backdoor: Backdoor) -> None:
    head = user(backdoor, "head")
    manager = user(backdoor, "manager", manager=head)
    owner = user(backdoor, "owner", manager=manager)
    loner = user(backdoor, "loner")
    referral = sf.Account.create({"Name": "Referrer", "OwnerId": owner})["id"]
    orphan_referral = sf.Account.create({"Name": "Orphan referrer", "OwnerId": loner})["id"]
    sf.Service_Level_Intervention__c.create({"Name": "A - Billing", "Referral_Account__c": referral})
    sf.Service_Level_Intervention__c.create({"Name": "B - Billing", "Referral_Account__c": orphan_referral})
    sf.Service_Level_Intervention__c.create({"Name": "C - Billing"})
    result = sf.query(
        "SELECT Name, Referral_Account__r.Owner.Manager.Manager.Email, "
        "Referral_Account__r.Owner.Manager.Email "
        "FROM Service_Level_Intervention__c ORDER BY Name"
    )
    a, b, c = result["records"]
    assert a["Referral_Account__r"]["Owner"]["Manager"]["Manager"]["Email"] == "head@contract.test"
    assert a["Referral_Account__r"]["Owner"]["Manager"]["Email"] == "manager@contract.test"
    assert a["Referral_Account__r"]["attributes"]["type"] == "Account"
    assert b["Referral_Account__r"]["Owner"]["Manager"] is None
    assert c["Referral_Account__r"] is None


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_query_limits.htm (no more than five levels child-to-parent)")
def test_six_level_path_is_rejected(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest):
        sf.query(
            "SELECT Referral_Account__r.Owner.Manager.Manager.Manager.Email "
            "FROM Service_Level_Intervention__c"
        )


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_queryall.htm (queryAll includes deleted records, IsDeleted true)")
def test_query_all_returns_deleted_rows_and_query_does_not(sf: Salesforce) -> None:
    kept = sf.Account.create({"Name": "Kept"})["id"]
    gone = sf.Account.create({"Name": "Gone"})["id"]
    sf.Account.delete(gone)
    soql = "SELECT Id, IsDeleted FROM Account"
    live = {r["Id"]: r["IsDeleted"] for r in sf.query(soql)["records"]}
    everything = {r["Id"]: r["IsDeleted"] for r in sf.query_all(soql, include_deleted=True)["records"]}
    assert live == {kept: False}
    assert everything == {kept: False, gone: True}


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_queryall.htm (nextRecordsUrl continues the queryAll result)")
def test_query_all_next_records_url_keeps_deleted_rows(sf: Salesforce, backdoor: Backdoor) -> None:
    # The 2,050 live rows are seeded through the emulator helper: the check is only about paging.
    backdoor.salesforce_rows("Account", ({"Name": f"Bulk {i:04}"} for i in range(2050)))
    gone = sf.Account.create({"Name": "Zz deleted last"})["id"]
    sf.Account.delete(gone)
    soql = "SELECT Id, Name, IsDeleted FROM Account ORDER BY Name"
    first = sf.query_all_iter(soql, include_deleted=True)
    rows = list(first)
    assert len(rows) == 2051
    assert rows[-1]["Id"] == gone and rows[-1]["IsDeleted"] is True


@pytest.mark.documented("https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_query_limits.htm (you can't filter against the content of textarea fields)")
def test_long_text_fields_cannot_be_filtered(sf: Salesforce) -> None:
    sf.query("SELECT Intervention_Plan__c FROM Service_Level_Intervention__c")
    with pytest.raises(SalesforceMalformedRequest):
        sf.query("SELECT Id FROM Service_Level_Intervention__c WHERE Intervention_Plan__c LIKE 'Call%'")
