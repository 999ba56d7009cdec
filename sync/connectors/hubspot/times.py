"""HubSpot's time formats: ISO-8601 or epoch milliseconds in, epoch milliseconds for filters and writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def instant(value: str) -> datetime:
    """A HubSpot timestamp (ISO-8601, or epoch milliseconds) as an aware datetime (naive means UTC)."""
    if value.isdigit():
        return EPOCH + int(value) * _MS
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """``2026-05-01T09:30:00.123Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def epoch_ms(moment: datetime) -> int:
    return (moment - EPOCH) // _MS
