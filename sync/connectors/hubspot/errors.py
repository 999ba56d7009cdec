"""HubSpot's retry table and error bodies.

Categories from HubSpot's error responses (``{"status": "error", "category": ..., "message": ...}``) and
the per-input errors of batch endpoints (207 Multi-Status); statuses from "API usage guidelines and
limits" (429 with ``policyName``) and the CRM API error handling guide (423 when a record is locked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.connectors.errors import ErrorPolicy, ErrorRule, Verdict

#: Categories that repeating the same input cannot fix.
REJECTED_CATEGORIES = frozenset(
    {
        "VALIDATION_ERROR",
        "OBJECT_NOT_FOUND",
        "CONFLICT",
        "OBJECT_ALREADY_EXISTS",
        "MISSING_SCOPES",
        "INVALID_EMAIL",
        "PROPERTY_DOESNT_EXIST",
    }
)

POLICY = ErrorPolicy(
    (
        # A locked record: the request was refused, so it may be repeated after a short wait.
        ErrorRule(Verdict.RETRY, statuses={423}, tries=4, refused=True),
        ErrorRule(Verdict.REJECT, codes=REJECTED_CATEGORIES),
    )
)

LOCKED_WAIT_S = 2.0


def category(body: Mapping[str, Any]) -> str | None:
    value = body.get("category")
    return str(value) if value else None


def message(body: Mapping[str, Any], fallback: str) -> str:
    return str(body.get("message") or fallback)
