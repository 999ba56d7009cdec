"""Shape checks for JSON request bodies: a wrong shape is HubSpot's 400 "Invalid input JSON"."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, validation_error


def invalid(what: str, expected: str) -> ApiError:
    return validation_error(f"Invalid input JSON: {what} must be {expected}.")


def obj(raw: Any, what: str) -> dict[str, Any]:
    """``raw`` as a JSON object (``None`` counts as empty)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid(what, "an object")
    return raw


def items(raw: Any, what: str) -> list[Any]:
    """``raw`` as a JSON array (``None`` counts as empty)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise invalid(what, "an array")
    return raw


def objects(raw: Any, what: str) -> list[dict[str, Any]]:
    """``raw`` as a JSON array of objects."""
    return [obj(item, f"each of {what}") for item in items(raw, what)]


def strings(raw: Any, what: str) -> list[str]:
    """``raw`` as a JSON array of strings."""
    found = items(raw, what)
    if not all(isinstance(item, str) for item in found):
        raise invalid(what, "an array of strings")
    return found
