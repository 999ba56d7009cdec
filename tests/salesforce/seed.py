"""A small org for the SLI tests: the seven roles held by distinct users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class People:
    submitter: str
    referral_owner: str
    sales_manager: str
    referral_rd: str
    sli_rd: str
    rcsm: str
    referral_division_head: str
    sli_division_head: str


def user(sf: Any, name: str, **extra: Any) -> str:
    first, last = name.split()
    return str(
        sf.insert(
            "User",
            {
                "Username": f"{first.lower()}@org.test",
                "FirstName": first,
                "LastName": last,
                "Email": f"{first.lower()}@org.test",
                **extra,
            },
        )
    )


def seed_people(sf: Any) -> tuple[People, dict[str, str]]:
    submitter = user(sf, "Sam Submitter")
    manager = user(sf, "Mona Manager")
    owner = user(sf, "Olga Owner", ManagerId=manager)
    referral_rd = user(sf, "Rita Referral")
    sli_rd = user(sf, "Dirk Director")
    rcsm = user(sf, "Cara Success")
    head_a = user(sf, "Hank Head")
    head_b = user(sf, "Hilda Head")
    region_a = sf.insert("Region__c", {"Name": "Great Lakes", "Division_Head__c": head_a})
    region_b = sf.insert("Region__c", {"Name": "Texas and Arizona", "Division_Head__c": head_b})
    cc_office = sf.insert(
        "Office__c", {"Name": "Chicago", "Region__c": region_a, "Regional_Director__c": referral_rd}
    )
    office = sf.insert(
        "Office__c",
        {
            "Name": "Austin",
            "Region__c": region_b,
            "Regional_Director__c": sli_rd,
            "Regional_Client_Success_Manager__c": rcsm,
        },
    )
    referral = sf.insert(
        "Account", {"Name": "Sunrise Senior Living", "OwnerId": owner, "CC_Location_Office__c": cc_office}
    )
    client = sf.insert("Account", {"Name": "John Smith", "OwnerId": owner})
    people = People(submitter, owner, manager, referral_rd, sli_rd, rcsm, head_a, head_b)
    return people, {"office": office, "referral": referral, "client": client}


def insert_sli(sf: Any, refs: dict[str, str], created: datetime, submitter: str, **fields: Any) -> str:
    values = {
        "Name": "John Smith - No Call No Show",
        "Client__c": refs["client"],
        "Referral_Account__c": refs["referral"],
        "Office__c": refs["office"],
        "Incident_Type__c": "No Call No Show",
        "Incident_Date__c": created.date().isoformat(),
        "Client_Status__c": "Orange",
        "Referral_Status__c": "Orange",
        "CreatedDate": created.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "CreatedById": submitter,
        **fields,
    }
    return str(sf.insert("Service_Level_Intervention__c", values))
