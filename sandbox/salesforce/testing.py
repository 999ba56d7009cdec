"""Test and demo helpers: a movable clock, a ``responses`` mount of the emulator, a seeded reference org."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
import responses

from ..core import SandboxRequest
from .emulator import SalesforceEmulator

BASE_URL = "https://sf.sandbox.test"
URL_PATTERN = re.compile(r"https://(sf\.sandbox\.test|[A-Za-z0-9.-]+\.salesforce\.com)/.*")
START = datetime(2026, 11, 22, 8, 0, 0, tzinfo=UTC)


class MovableClock:
    """An injectable clock that only moves when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def rsa_key_pair() -> tuple[str, str]:
    """A fresh (private PKCS#8 PEM, public PEM) pair: a connected app's certificate for JWT bearer tests."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def mount(
    emulator: SalesforceEmulator, rsps: responses.RequestsMock, pattern: re.Pattern[str] = URL_PATTERN
) -> None:
    """Answer requests matching ``pattern`` (the sandbox host and *.salesforce.com) from ``emulator``."""

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        url = str(request.url)
        headers = {k: str(v) for k, v in request.headers.items()}
        headers.setdefault("Host", urlsplit(url).netloc)
        body: Any = request.body
        response = emulator.handle(SandboxRequest.from_url(str(request.method), url, headers, body))
        return (
            response.status,
            {"Content-Type": response.content_type(), **response.headers},
            response.encoded(),
        )

    for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
        rsps.add_callback(method, pattern, callback=callback, content_type=None)


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


def seed_reference_org(emulator: SalesforceEmulator) -> ReferenceOrg:
    """Users in a manager chain (plus an inactive one), a region, an office, two accounts, one SLI."""
    head = emulator.insert(
        "User",
        {"Username": "head@org.test", "FirstName": "Dana", "LastName": "Head", "Email": "head@org.test"},
    )
    manager = emulator.insert(
        "User",
        {
            "Username": "mgr@org.test",
            "FirstName": "Mo",
            "LastName": "Manager",
            "Email": "mgr@org.test",
            "ManagerId": head,
        },
    )
    owner = emulator.insert(
        "User",
        {
            "Username": "owner@org.test",
            "FirstName": "Olga",
            "LastName": "Owner",
            "Email": "owner@org.test",
            "ManagerId": manager,
        },
    )
    inactive = emulator.insert(
        "User", {"Username": "gone@org.test", "LastName": "Gone", "Email": "gone@org.test", "IsActive": False}
    )
    region = emulator.insert("Region__c", {"Name": "North", "Division_Head__c": head})
    office = emulator.insert(
        "Office__c", {"Name": "Leeds", "Region__c": region, "Regional_Director__c": manager}
    )
    client = emulator.insert(
        "Account", {"Name": "Client Co", "OwnerId": owner, "CC_Location_Office__c": office}
    )
    referral = emulator.insert("Account", {"Name": "Referrer Ltd", "OwnerId": owner})
    sli = emulator.insert(
        "Service_Level_Intervention__c",
        {
            "Name": "SLI-0001",
            "Client__c": client,
            "Referral_Account__c": referral,
            "Office__c": office,
            "Client_Status__c": "Red",
            "Incident_Date__c": "2026-11-20",
        },
    )
    return ReferenceOrg(head, manager, owner, inactive, region, office, client, referral, sli)
