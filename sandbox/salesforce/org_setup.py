"""Org setup an admin does in Setup rather than through the data API, as emulator settings:

- ``email_deliverability`` (Setup > Deliverability): Salesforce exposes it through no REST resource; Apex's
  ``Messaging.reserveSingleEmailCapacity`` throws ``System.NoAccessException`` ("The organization is not
  permitted to send email") when the org may not send, so ``tooling/executeAnonymous`` answers that
  one statement (and refuses any other Apex: the sandbox runs none);
- ``org_wide_email_addresses``: ``OrgWideEmailAddress`` rows (``Address``, ``IsVerified`` from API 58.0);
- ``feed_tracking_off``: objects whose describe says ``feedEnabled: false``;
- field changes (``alter_field``/``drop_field`` on the emulator): the schema edited until the next reset.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from .schema import FieldDef, ObjectDef, Schema
from .settings import SalesforceSettings
from .usage import DailyUsage

ORG_WIDE = "OrgWideEmailAddress"
_RESERVE = re.compile(r"\s*Messaging\s*\.\s*reserveSingleEmailCapacity\s*\(\s*(\d+)\s*\)\s*;\s*", re.I)
_SYSTEM = (
    "Id",
    "IsDeleted",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
)


def with_org_objects(schema: Schema) -> Schema:
    """The schema plus the setup objects the doctor reads (``OrgWideEmailAddress``)."""
    account = schema.get("Account")
    assert account is not None
    system = {name: account.field(name) for name in _SYSTEM}
    fields = (
        FieldDef("Address", "email", "Address", 270, nillable=False),
        FieldDef("DisplayName", "string", "Display Name", 300, nillable=False),
        FieldDef("IsAllowAllProfiles", "boolean", "Allow All Profiles", nillable=False, default=False),
        FieldDef("IsVerified", "boolean", "Verified", nillable=False, default=False),
    )
    ordered = [system["Id"], *fields, *(system[n] for n in _SYSTEM[1:])]
    schema.put(
        ObjectDef(
            ORG_WIDE,
            "Organization-Wide Email Address",
            "Organization-Wide Email Addresses",
            "0D2",
            False,
            True,
            tuple(f for f in ordered if f is not None),
        )
    )
    return schema


def seed_org_wide_addresses(settings: SalesforceSettings, insert: Any) -> None:
    """One ``OrgWideEmailAddress`` per configured ``(address, verified)``; ``insert(sobject, fields)``."""
    for address, verified in settings.org_wide_email_addresses:
        insert(
            ORG_WIDE,
            {
                "Address": address,
                "DisplayName": "crm-sync",
                "IsAllowAllProfiles": True,
                "IsVerified": verified,
            },
        )


def describe(obj: ObjectDef, version: str, settings: SalesforceSettings) -> dict[str, Any]:
    """``sobjects/{name}/describe`` with the org's feed tracking."""
    body = obj.describe(version)
    body["feedEnabled"] = bool(body.get("feedEnabled", True)) and obj.name not in settings.feed_tracking_off
    return body


def execute_anonymous(
    body: str | None, settings: SalesforceSettings, usage: DailyUsage, now: Any
) -> dict[str, Any]:
    """``tooling/executeAnonymous``: only ``Messaging.reserveSingleEmailCapacity(n);`` runs here."""
    result: dict[str, Any] = {
        "line": -1,
        "column": -1,
        "compiled": True,
        "success": True,
        "compileProblem": None,
        "exceptionStackTrace": None,
        "exceptionMessage": None,
    }
    match = _RESERVE.fullmatch(body or "")
    if match is None:
        return {
            **result,
            "line": 1,
            "column": 1,
            "compiled": False,
            "success": False,
            "compileProblem": "the sandbox runs no Apex but Messaging.reserveSingleEmailCapacity(n);",
        }
    failure = None
    if settings.email_deliverability != "all_email":
        failure = "System.NoAccessException: The organization is not permitted to send email"
    elif int(match.group(1)) > usage.limits(now)["SingleEmail"]["Remaining"]:
        failure = "System.HandledException: The daily limit for the org would be exceeded by this request"
    if failure:
        return {
            **result,
            "line": 1,
            "column": 1,
            "success": False,
            "exceptionMessage": failure,
            "exceptionStackTrace": "AnonymousBlock: line 1, column 1",
        }
    return result


def altered(obj: ObjectDef, name: str, drop: bool = False, **changes: Any) -> ObjectDef:
    """``obj`` with field ``name`` dropped or changed (``unique=False``, ``external_id=False``...)."""
    field = obj.field(name)
    if field is None:
        raise KeyError(f"{obj.name} has no field {name}")
    fields = tuple(
        f if f is not field else replace(f, **changes) for f in obj.fields if not (drop and f is field)
    )
    return ObjectDef(obj.name, obj.label, obj.label_plural, obj.key_prefix, obj.custom, obj.deletable, fields)
