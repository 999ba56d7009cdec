"""SOQL semantics against emulator records: filters, dates, relationships, ordering, limits and errors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.clock import MovableClock
from sandbox.core import Outbox
from sandbox.salesforce import SalesforceApiError, SalesforceEmulator
from sandbox.seeds.salesforce import ReferenceOrg


def run(emulator: SalesforceEmulator, soql: str, include_deleted: bool = False) -> dict[str, Any]:
    return emulator.query.run(soql, include_deleted, None, "62.0")


def names(emulator: SalesforceEmulator, soql: str) -> list[str]:
    return [r["Name"] for r in run(emulator, soql)["records"]]


def error_of(emulator: SalesforceEmulator, soql: str) -> tuple[str, str]:
    with pytest.raises(SalesforceApiError) as caught:
        run(emulator, soql)
    assert caught.value.status == 400
    error = caught.value.errors[0]
    return error.code, error.message


@pytest.fixture
def accounts(emulator: SalesforceEmulator, org: ReferenceOrg) -> SalesforceEmulator:
    for name, key in [("alpha", "A-1"), ("Beta", None), ("gamma_1", "g%1"), ("GAMMA", "A-2")]:
        emulator.insert("Account", {"Name": name, "External_Key__c": key})
    return emulator


def test_equality_is_case_insensitive_and_ne_includes_nulls(accounts: SalesforceEmulator) -> None:
    assert names(accounts, "SELECT Name FROM Account WHERE Name = 'gamma'") == ["GAMMA"]
    assert names(accounts, "SELECT Name FROM Account WHERE External_Key__c != 'a-1'") == [
        "Client Co",
        "Referrer Ltd",
        "Beta",
        "gamma_1",
        "GAMMA",
    ]
    assert names(accounts, "SELECT Name FROM Account WHERE External_Key__c = null") == [
        "Client Co",
        "Referrer Ltd",
        "Beta",
    ]


def test_in_not_in_and_not(accounts: SalesforceEmulator) -> None:
    assert names(accounts, "SELECT Name FROM Account WHERE External_Key__c IN ('a-1', 'A-2')") == [
        "alpha",
        "GAMMA",
    ]
    assert names(
        accounts, "SELECT Name FROM Account WHERE NOT (Name IN ('alpha','beta') OR Name LIKE '%Co')"
    ) == ["Referrer Ltd", "gamma_1", "GAMMA"]
    assert names(accounts, "SELECT Name FROM Account WHERE External_Key__c NOT IN ('A-1', 'A-2')") == [
        "Client Co",
        "Referrer Ltd",
        "Beta",
        "gamma_1",
    ]


def test_like_wildcards_and_escapes(accounts: SalesforceEmulator) -> None:
    assert names(accounts, "SELECT Name FROM Account WHERE Name LIKE 'GAMMA_'") == []
    assert names(accounts, "SELECT Name FROM Account WHERE Name LIKE 'gamma__'") == ["gamma_1"]
    assert names(accounts, r"SELECT Name FROM Account WHERE Name LIKE 'gamma\_%'") == ["gamma_1"]
    assert names(accounts, r"SELECT Name FROM Account WHERE External_Key__c LIKE 'g\%%'") == ["gamma_1"]


def test_ids_match_in_15_and_18_char_form(emulator: SalesforceEmulator, org: ReferenceOrg) -> None:
    assert names(emulator, f"SELECT Name FROM Account WHERE Id = '{org.client[:15]}'") == ["Client Co"]
    assert names(emulator, f"SELECT Name FROM Account WHERE Id IN ('{org.client}')") == ["Client Co"]


def test_date_and_datetime_literals(
    emulator: SalesforceEmulator, org: ReferenceOrg, clock: MovableClock
) -> None:
    clock.advance(hours=2)  # 10:00Z
    later = emulator.insert(
        "Service_Level_Intervention__c", {"Name": "later", "Incident_Date__c": "2026-11-21"}
    )
    assert later
    q = "SELECT Name FROM Service_Level_Intervention__c WHERE "
    assert names(emulator, q + "Incident_Date__c < 2026-11-21") == ["SLI-0001"]
    assert names(emulator, q + "Incident_Date__c >= 2026-11-21") == ["later"]
    assert names(emulator, q + "CreatedDate > 2026-11-22T09:00:00Z") == ["later"]
    assert names(emulator, q + "CreatedDate > 2026-11-22T10:30:00+01:00") == ["later"]  # 09:30Z
    assert names(emulator, q + "CreatedDate = 2026-11-22T08:00:00.000Z") == ["SLI-0001"]


def test_relative_date_literals(emulator: SalesforceEmulator, org: ReferenceOrg, clock: MovableClock) -> None:
    q = "SELECT Name FROM Service_Level_Intervention__c WHERE "
    assert names(emulator, q + "CreatedDate = TODAY") == ["SLI-0001"]
    assert names(emulator, q + "Incident_Date__c = LAST_N_DAYS:2") == ["SLI-0001"]
    assert names(emulator, q + "Incident_Date__c = LAST_N_DAYS:1") == []
    assert names(emulator, q + "Incident_Date__c < YESTERDAY") == ["SLI-0001"]
    clock.advance(days=1)
    assert names(emulator, q + "CreatedDate = TODAY") == []
    assert names(emulator, q + "CreatedDate = YESTERDAY") == ["SLI-0001"]
    assert names(emulator, q + "CreatedDate < TODAY AND CreatedDate = THIS_MONTH") == ["SLI-0001"]


def test_relationship_paths_select_and_filter(emulator: SalesforceEmulator, org: ReferenceOrg) -> None:
    page = run(
        emulator,
        "SELECT Name, Referral_Account__r.Owner.Manager.Manager.Email, Referral_Account__r.Name, "
        "Office__r.Region__r.Division_Head__r.Name FROM Service_Level_Intervention__c "
        "WHERE Referral_Account__r.Owner.Manager.Email = 'MGR@org.test'",
    )
    [row] = page["records"]
    referral = row["Referral_Account__r"]
    assert referral["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v62.0/sobjects/Account/{org.referral}",
    }
    assert referral["Name"] == "Referrer Ltd"
    assert referral["Owner"]["Manager"]["Manager"] == {
        "attributes": {"type": "User", "url": f"/services/data/v62.0/sobjects/User/{org.division_head}"},
        "Email": "head@org.test",
    }
    assert row["Office__r"]["Region__r"]["Division_Head__r"]["Name"] == "Dana Head"
    assert list(row) == ["attributes", "Name", "Referral_Account__r", "Office__r"]


def test_empty_lookup_is_null(emulator: SalesforceEmulator, org: ReferenceOrg) -> None:
    emulator.insert("Service_Level_Intervention__c", {"Name": "orphan"})
    rows = run(
        emulator,
        "SELECT Name, Client__r.Owner.Email FROM Service_Level_Intervention__c WHERE Client__r.Name = null",
    )["records"]
    assert rows == [{"attributes": rows[0]["attributes"], "Name": "orphan", "Client__r": None}]


def test_polymorphic_lookup_uses_the_name_pseudo_type(
    emulator: SalesforceEmulator, org: ReferenceOrg
) -> None:
    emulator.insert("Task", {"Subject": "Call", "WhatId": org.sli})
    [row] = run(emulator, "SELECT What.Name, What.Type FROM Task")["records"]
    assert row["What"] == {
        "attributes": {
            "type": "Name",
            "url": f"/services/data/v62.0/sobjects/Service_Level_Intervention__c/{org.sli}",
        },
        "Name": "SLI-0001",
        "Type": "Service_Level_Intervention__c",
    }
    assert error_of(emulator, "SELECT What.Subject FROM Task")[1].endswith(
        "No such column 'Subject' on entity 'Name'. If you are attempting to use a custom field, be sure to "
        "append the '__c' after the custom field name. Please reference your WSDL or the describe call for the "
        "appropriate names."
    )


def test_field_and_object_names_are_case_insensitive(emulator: SalesforceEmulator, org: ReferenceOrg) -> None:
    [row] = run(emulator, "select name, referral_account__r.owner.EMAIL from service_level_intervention__C")[
        "records"
    ]
    assert row["attributes"]["type"] == "Service_Level_Intervention__c"
    assert row["Name"] == "SLI-0001"
    assert row["Referral_Account__r"]["Owner"]["Email"] == "owner@org.test"


def test_count(accounts: SalesforceEmulator) -> None:
    assert run(accounts, "SELECT COUNT() FROM Account WHERE Name LIKE 'g%'") == {
        "totalSize": 2,
        "done": True,
        "records": [],
    }


def test_order_by_several_fields_with_nulls(accounts: SalesforceEmulator) -> None:
    q = "SELECT Name FROM Account ORDER BY "
    assert names(accounts, q + "External_Key__c, Name DESC") == [
        "Referrer Ltd",
        "Client Co",
        "Beta",
        "alpha",
        "GAMMA",
        "gamma_1",
    ]
    assert names(accounts, q + "External_Key__c DESC NULLS LAST, Name") == [
        "gamma_1",
        "GAMMA",
        "alpha",
        "Beta",
        "Client Co",
        "Referrer Ltd",
    ]
    assert names(accounts, q + "Name LIMIT 2 OFFSET 1") == ["Beta", "Client Co"]


@pytest.mark.parametrize(
    ("soql", "code", "detail"),
    [
        ("SELECT Id FROM Acount", "INVALID_TYPE", "sObject type 'Acount' is not supported."),
        ("SELECT Nam FROM Account", "INVALID_FIELD", "No such column 'Nam' on entity 'Account'."),
        ("SELECT Owner__r.Name FROM Account", "INVALID_FIELD", "Didn't understand relationship 'Owner__r'"),
        (
            "SELECT Id FROM Service_Level_Intervention__c WHERE Intervention_Plan__c = null",
            "INVALID_FIELD",
            "field 'Intervention_Plan__c' can not be filtered in query call",
        ),
        (
            "SELECT Id FROM Task WHERE Description LIKE '%x%'",
            "INVALID_FIELD",
            "field 'Description' can not be filtered in query call",
        ),
        (
            "SELECT Id FROM Task ORDER BY Description",
            "INVALID_FIELD",
            "field 'Description' can not be sorted in a query call",
        ),
        (
            "SELECT Id FROM User WHERE IsActive = 'true'",
            "INVALID_FIELD",
            "value of filter criterion for field 'IsActive' must be of type boolean and should not be enclosed in",
        ),
        (
            "SELECT Id FROM Task WHERE ActivityDate = '2026-01-01'",
            "INVALID_FIELD",
            "field 'ActivityDate' must be of type date",
        ),
        (
            "SELECT Id FROM Task WHERE CreatedDate > 2026-01-01",
            "INVALID_FIELD",
            "field 'CreatedDate' must be of type dateTime",
        ),
        (
            "SELECT Id FROM Account WHERE Name = 5",
            "INVALID_FIELD",
            "must be of type string and should be enclosed",
        ),
        (
            "SELECT Id FROM Account WHERE OwnerId = 'nope'",
            "INVALID_QUERY_FILTER_OPERATOR",
            "invalid ID field: nope",
        ),
        ("SELECT Id FROM Account WHERE IsDeleted = true AND", "MALFORMED_QUERY", "unexpected token: <EOF>"),
        (
            "SELECT Id FROM Account OFFSET 2001",
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Maximum SOQL offset allowed is 2000",
        ),
        (
            "SELECT Referral_Account__r.Owner.Manager.Manager.Manager.Email FROM Service_Level_Intervention__c",
            "MALFORMED_QUERY",
            "cannot query more than 5 levels of relationships",
        ),
    ],
)
def test_rejected_queries(emulator: SalesforceEmulator, soql: str, code: str, detail: str) -> None:
    actual_code, message = error_of(emulator, soql)
    assert actual_code == code
    assert detail in message


# -- properties ----------------------------------------------------------------------------------------

NAME_TEXT = st.one_of(st.none(), st.text(alphabet="abcAB_ z", min_size=1, max_size=4))
DATES = st.one_of(st.none(), st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(NAME_TEXT, DATES), min_size=1, max_size=25),
    desc=st.booleans(),
    nulls_last=st.booleans(),
)
def test_order_by_matches_python_sorting(
    rows: list[tuple[str | None, date | None]], desc: bool, nulls_last: bool
) -> None:
    emulator = SalesforceEmulator(Outbox(), clock=MovableClock())
    for i, (subject, due) in enumerate(rows):
        emulator.insert(
            "Task",
            {
                "Subject": subject,
                "ActivityDate": due.isoformat() if due else None,
                "Crm_Sync_Key__c": f"k{i:03d}",
            },
        )
    direction = "DESC" if desc else "ASC"
    nulls = "LAST" if nulls_last else "FIRST"
    soql = (
        f"SELECT Crm_Sync_Key__c FROM Task ORDER BY Subject {direction} NULLS {nulls}, "
        "ActivityDate DESC, Crm_Sync_Key__c"
    )
    got = [r["Crm_Sync_Key__c"] for r in run(emulator, soql)["records"]]

    keyed = [(subject, due, f"k{i:03d}") for i, (subject, due) in enumerate(rows)]
    keyed.sort(key=lambda r: r[2])
    keyed.sort(key=lambda r: (r[1] is None, r[1] or date.min), reverse=True)  # DESC, nulls first
    present = sorted((r for r in keyed if r[0] is not None), key=lambda r: r[0].upper(), reverse=desc)
    missing = [r for r in keyed if r[0] is None]
    expected = present + missing if nulls_last else missing + present
    assert got == [r[2] for r in expected]


@settings(max_examples=30, deadline=None)
@given(
    total=st.integers(0, 700),
    batch=st.integers(1, 2500),
    limit=st.one_of(st.none(), st.integers(0, 800)),
    offset=st.integers(0, 50),
)
def test_paging_never_loses_or_repeats_a_row(total: int, batch: int, limit: int | None, offset: int) -> None:
    emulator = SalesforceEmulator(Outbox(), clock=MovableClock(datetime(2026, 1, 1, tzinfo=UTC)))
    for i in range(total):
        emulator.insert("Task", {"Crm_Sync_Key__c": f"k{i:04d}"})
    soql = (
        "SELECT Crm_Sync_Key__c FROM Task ORDER BY Crm_Sync_Key__c"
        + (f" LIMIT {limit}" if limit is not None else "")
        + f" OFFSET {offset}"
    )
    page = emulator.query.run(soql, False, f"batchSize={batch}", "62.0")
    seen = [r["Crm_Sync_Key__c"] for r in page["records"]]
    expected_batch = min(max(batch, 200), 2000)
    while not page["done"]:
        assert len(page["records"]) == expected_batch
        page = emulator.query.more(page["nextRecordsUrl"].rsplit("/", 1)[1], "62.0")
        seen += [r["Crm_Sync_Key__c"] for r in page["records"]]
    everything = [f"k{i:04d}" for i in range(total)][offset:]
    assert seen == (everything if limit is None else everything[:limit])
    assert page["totalSize"] == len(seen)


def test_deleted_parent_reads_as_null(emulator: SalesforceEmulator, org: ReferenceOrg) -> None:
    emulator.writer.delete(emulator.writer.object("Account"), org.referral, emulator.integration_user_id)
    [row] = run(
        emulator, "SELECT Referral_Account__c, Referral_Account__r.Name FROM Service_Level_Intervention__c"
    )["records"]
    assert (row["Referral_Account__c"], row["Referral_Account__r"]) == (org.referral, None)
