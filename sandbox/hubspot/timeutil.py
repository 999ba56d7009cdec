"""HubSpot's time formats: millisecond ISO-8601 strings out, epoch milliseconds or ISO strings in."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_ms(moment: datetime) -> str:
    """``2024-05-01T09:30:00.123Z``, the form HubSpot uses for timestamps and datetime properties."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch."""
    utc = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(utc.timestamp() * 1000)


def parse_instant(value: object) -> int | None:
    """Epoch milliseconds for an epoch-ms number/string or an ISO date/date-time, else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return epoch_ms(moment)


def ms_to_iso(ms: int) -> str:
    """Epoch milliseconds as HubSpot's ISO string."""
    return iso_ms(datetime.fromtimestamp(ms // 1000, UTC).replace(microsecond=(ms % 1000) * 1000))
