"""Salesforce seed data: people, regions, offices, accounts and Service Level Interventions (SLIs).

Every function takes anything with the emulator's ``insert(sobject, fields) -> id`` and returns the
new record's id (or a small dataclass of ids).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

SLI = "Service_Level_Intervention__c"


class Inserter(Protocol):
    """The emulator's seeding helper (``SalesforceEmulator.insert``)."""

    def insert(self, sobject: str, fields: dict[str, Any]) -> str: ...


def sf_datetime(moment: datetime) -> str:
    """A datetime as Salesforce writes it: ``2026-11-22T08:00:00.000+0000`` (UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def insert_user(
    sf: Inserter, first: str | None, last: str, email: str, *, manager: str | None = None, **fields: Any
) -> str:
    """A User whose username is ``email``; ``fields`` may add e.g. ``IsActive=False``."""
    values: dict[str, Any] = {"Username": email}
    if first is not None:
        values["FirstName"] = first
    values.update(LastName=last, Email=email)
    if manager is not None:
        values["ManagerId"] = manager
    return str(sf.insert("User", {**values, **fields}))


def insert_region(sf: Inserter, name: str, division_head: str) -> str:
    return str(sf.insert("Region__c", {"Name": name, "Division_Head__c": division_head}))


def insert_office(sf: Inserter, name: str, region_id: str, director: str, rcsm: str | None = None) -> str:
    """An office with its Regional Director and, optionally, Regional Client Success Manager."""
    fields = {"Name": name, "Region__c": region_id, "Regional_Director__c": director}
    if rcsm is not None:
        fields["Regional_Client_Success_Manager__c"] = rcsm
    return str(sf.insert("Office__c", fields))


def insert_account(sf: Inserter, name: str, owner: str | None = None, cc_office: str | None = None) -> str:
    """An account (a client, or a referral partner with a ``CC_Location_Office__c``)."""
    fields = {"Name": name}
    if owner is not None:
        fields["OwnerId"] = owner
    if cc_office is not None:
        fields["CC_Location_Office__c"] = cc_office
    return str(sf.insert("Account", fields))


def insert_intervention(sf: Inserter, created: datetime, submitter: str, **fields: Any) -> str:
    """An SLI created by ``submitter`` at ``created`` (audit fields set as "Set Audit Fields" allows)."""
    return str(sf.insert(SLI, {"CreatedDate": sf_datetime(created), "CreatedById": submitter, **fields}))


# -- the SLI rules' org: the seven roles held by distinct users --------------------------------------


@dataclass
class People:
    """Who holds each role around the SLI ``insert_sli`` files."""

    submitter: str
    referral_owner: str
    sales_manager: str
    referral_rd: str
    sli_rd: str
    rcsm: str
    referral_division_head: str
    sli_division_head: str


def insert_person(sf: Inserter, name: str, **fields: Any) -> str:
    """A User named "First Last" with the address ``first@org.test``."""
    first, last = name.split()
    return insert_user(sf, first, last, f"{first.lower()}@org.test", **fields)


def seed_people(sf: Inserter) -> tuple[People, dict[str, str]]:
    """Users in every role, two regions, the SLI's office, a referral partner and a client.

    Returns the people and the ids ``insert_sli`` needs (``office``, ``referral``, ``client``).
    """
    submitter = insert_person(sf, "Sam Submitter")
    manager = insert_person(sf, "Mona Manager")
    owner = insert_person(sf, "Olga Owner", manager=manager)
    referral_rd = insert_person(sf, "Rita Referral")
    sli_rd = insert_person(sf, "Dirk Director")
    rcsm = insert_person(sf, "Cara Success")
    head_a = insert_person(sf, "Hank Head")
    head_b = insert_person(sf, "Hilda Head")
    region_a = insert_region(sf, "Great Lakes", head_a)
    region_b = insert_region(sf, "Texas and Arizona", head_b)
    cc_office = insert_office(sf, "Chicago", region_a, referral_rd)
    sli_office = insert_office(sf, "Austin", region_b, sli_rd, rcsm)
    referral = insert_account(sf, "Sunrise Senior Living", owner, cc_office)
    client = insert_account(sf, "John Smith", owner)
    people = People(submitter, owner, manager, referral_rd, sli_rd, rcsm, head_a, head_b)
    return people, {"office": sli_office, "referral": referral, "client": client}


def insert_sli(sf: Inserter, refs: dict[str, str], created: datetime, submitter: str, **fields: Any) -> str:
    """An Orange "No Call No Show" SLI for the client and referral of ``seed_people``; ``fields`` override."""
    values = {
        "Name": "John Smith - No Call No Show",
        "Client__c": refs["client"],
        "Referral_Account__c": refs["referral"],
        "Office__c": refs["office"],
        "Incident_Type__c": "No Call No Show",
        "Incident_Date__c": created.date().isoformat(),
        "Client_Status__c": "Orange",
        "Referral_Status__c": "Orange",
    }
    return insert_intervention(sf, created, submitter, **{**values, **fields})


# -- the emulator tests' reference org ----------------------------------------------------------------


@dataclass
class ReferenceOrg:
    """A small reference org: a manager chain, a region/office, two accounts and one SLI."""

    division_head: str
    manager: str
    owner: str
    inactive: str
    region: str
    office: str
    client: str
    referral: str
    sli: str


def seed_reference_org(sf: Inserter) -> ReferenceOrg:
    """Users in a manager chain (plus an inactive one), a region, an office, two accounts, one SLI."""
    head = insert_user(sf, "Dana", "Head", "head@org.test")
    manager = insert_user(sf, "Mo", "Manager", "mgr@org.test", manager=head)
    owner = insert_user(sf, "Olga", "Owner", "owner@org.test", manager=manager)
    inactive = insert_user(sf, None, "Gone", "gone@org.test", IsActive=False)
    north = insert_region(sf, "North", head)
    leeds = insert_office(sf, "Leeds", north, manager)
    client = insert_account(sf, "Client Co", owner, leeds)
    referral = insert_account(sf, "Referrer Ltd", owner)
    intervention = str(
        sf.insert(
            SLI,
            {
                "Name": "SLI-0001",
                "Client__c": client,
                "Referral_Account__c": referral,
                "Office__c": leeds,
                "Client_Status__c": "Red",
                "Incident_Date__c": "2026-11-20",
            },
        )
    )
    return ReferenceOrg(head, manager, owner, inactive, north, leeds, client, referral, intervention)
