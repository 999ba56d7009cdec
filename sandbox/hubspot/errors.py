"""HubSpot's error shapes: the top-level error body, batch ``errors[]`` entries and property validation."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiError(Exception):
    """An error answer; ``body()`` renders HubSpot's ``{"status": "error", ...}`` document."""

    status: int
    category: str
    message: str
    sub_category: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    context: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.category}: {self.message}"

    def body(self) -> dict[str, Any]:
        """The top-level error body, with a fresh ``correlationId``."""
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": str(uuid.uuid4()),
            "category": self.category,
        }
        self._add_optional(body)
        return body

    def batch_entry(self) -> dict[str, Any]:
        """The same error as one entry of a 207 batch answer's ``errors`` list."""
        entry: dict[str, Any] = {"status": "error", "category": self.category, "message": self.message}
        self._add_optional(entry)
        return entry

    def _add_optional(self, body: dict[str, Any]) -> None:
        if self.sub_category:
            body["subCategory"] = self.sub_category
        if self.errors:
            body["errors"] = self.errors
        if self.context:
            body["context"] = self.context


def validation_error(message: str, **context: list[str]) -> ApiError:
    """400 ``VALIDATION_ERROR``."""
    return ApiError(400, "VALIDATION_ERROR", message, context=dict(context))


def not_found(message: str, **context: list[str]) -> ApiError:
    """404 ``OBJECT_NOT_FOUND``."""
    return ApiError(404, "OBJECT_NOT_FOUND", message, context=dict(context))


@dataclass(frozen=True)
class PropertyIssue:
    """One invalid property value, as HubSpot lists it in "Property values were not valid"."""

    name: str
    code: str
    message: str


def property_error(issues: list[PropertyIssue], portal_id: int) -> ApiError:
    """400 ``VALIDATION_ERROR`` listing every invalid property the way HubSpot's CRM API does."""
    listed = [
        {
            "isValid": False,
            "message": issue.message,
            "error": issue.code,
            "name": issue.name,
            "localizedErrorMessage": issue.message,
            "portalId": portal_id,
        }
        for issue in issues
    ]
    return ApiError(
        400,
        "VALIDATION_ERROR",
        "Property values were not valid: " + json.dumps(listed, separators=(",", ":")),
        errors=[
            {"message": issue.message, "code": issue.code, "context": {"propertyName": [issue.name]}}
            for issue in issues
        ],
    )
