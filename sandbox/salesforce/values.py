"""Salesforce wire formats for dates and datetimes, and JSON-to-field value coercion."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from .errors import ApiError
from .schema import FieldDef

_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?"
)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TEXT_TYPES = frozenset({"string", "textarea", "picklist", "combobox", "email", "phone", "url"})


def record_url(version: str, sobject: str, record_id: str) -> str:
    """The ``attributes.url`` of a record: a path, as Salesforce returns it."""
    return f"/services/data/v{version}/sobjects/{sobject}/{record_id}"


def format_datetime(moment: datetime) -> str:
    """``2026-11-22T08:00:00.000+0000``: UTC, truncated to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def parse_datetime(text: str) -> datetime | None:
    """An aware datetime from ISO 8601 (``Z``, ``+hh:mm`` or ``+hhmm``; no zone means UTC)."""
    match = _DATETIME_RE.fullmatch(text)
    if not match:
        return None
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    zone = match.group(8)
    tz: timezone = UTC
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None


def parse_date(text: str) -> date | None:
    if not _DATE_RE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


class InvalidValue(Exception):
    """A JSON value that does not fit its field."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def _parser_error(kind: str, value: Any) -> InvalidValue:
    token = "VALUE_STRING" if isinstance(value, str) else "VALUE_" + type(value).__name__.upper()
    return InvalidValue(
        ApiError(
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of {kind} from {token} value {value} "
            "or request may be missing a required field",
            (),
        )
    )


def coerce(field: FieldDef, value: Any) -> Any:
    """The stored form of a JSON value for ``field``; raises ``InvalidValue`` when it does not fit."""
    if value is None:
        return None
    kind = field.type
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _parser_error("boolean", value)
    if kind in ("double", "int", "currency", "percent"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _parser_error("double", value)
        try:
            number = float(value)
        except ValueError:
            raise _parser_error("double", value) from None
        return int(number) if kind == "int" else number
    if kind == "date":
        parsed_date = parse_date(value) if isinstance(value, str) else None
        if parsed_date is None:
            raise _parser_error("date", value)
        return parsed_date.isoformat()
    if kind == "datetime":
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None and isinstance(value, str) and parse_date(value):
            parsed = parse_datetime(value + "T00:00:00Z")
        if parsed is None:
            raise _parser_error("datetime", value)
        return format_datetime(parsed)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _parser_error("String", value)
    text = str(value)
    if kind in TEXT_TYPES and len(text) > field.length:
        raise InvalidValue(
            ApiError(
                "STRING_TOO_LONG",
                f"{field.label}: data value too large: {text[:40]} (max length={field.length})",
                (field.name,),
            )
        )
    if kind == "email" and text and not _EMAIL_RE.fullmatch(text):
        raise InvalidValue(
            ApiError("INVALID_EMAIL_ADDRESS", f"{field.label}: invalid email address: {text}", (field.name,))
        )
    return text
