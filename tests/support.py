"""Helpers shared by tests (imported explicitly; fixtures live in conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.clock import MovableClock as Clock

__all__ = ["T0", "Clock", "sli_record"]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def sli_record(n: int = 1, **changes: Any) -> dict[str, Any]:
    """An SLI as the Salesforce adapter hands it over, created at ``T0``, with an owner and an office's
    Regional Director (the fields of the tests' base config)."""
    record: dict[str, Any] = {
        "Id": f"a0X00000000000{n}AAA",
        "Name": f"Client {n} - No Call No Show",
        "CreatedDate": T0.isoformat(),
        "Intervention_Plan__c": None,
        "Client_Status__c": "Orange",
        "OwnerId": "005A",
        "Owner": {"Email": "owner@example.com", "Name": "Olive Owner", "IsActive": True},
        "Office__r": {
            "Regional_Director__c": "005B",
            "Regional_Director__r": {"Email": "rd@example.com", "IsActive": True},
        },
    }
    record.update(changes)
    return record
