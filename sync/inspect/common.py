"""What explain and plan share: input errors, times and values for people, who a payload reaches."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import Any

from rules.actions.registry import kind as action_kind

PAYLOAD_PEOPLE = ("to", "cc", "owner")  # who a stored payload reaches, in that order
SHOWN_CHARS = 80  # of a value or a summary in plain-text output


class InspectError(Exception):
    """Bad input to ``explain`` or ``plan`` (an unknown record, a malformed id, ...): exit 2."""


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def local(moment: datetime | None, zone: tzinfo) -> str:
    """A time as people read it, in the configuration's zone (``2026-03-02 04:00 EST``)."""
    return "-" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def stamp(zone: tzinfo) -> Callable[[str | None], str]:
    """Formats ISO times from a report (as :func:`local` does) in ``zone``."""
    return lambda value: local(datetime.fromisoformat(value) if value else None, zone)


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """A value as JSON text, shortened for a line of plain text."""
    if isinstance(value, str) and len(value) > limit:
        value = value[: limit - 3] + "..."
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit + 2 else text[: limit - 3] + "..."


def people(payload: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The people a stored payload reaches (``to``, ``cc``, ``owner``), each with the field naming them."""
    found = []
    for name in PAYLOAD_PEOPLE:
        value = (payload or {}).get(name)
        for person in value if isinstance(value, list) else [value]:
            if isinstance(person, Mapping) and person.get("email"):
                found.append({"as": name, "email": person["email"], "name": person.get("name")})
    return found


def person_text(person: Mapping[str, Any]) -> str:
    return f"{person['name']} <{person['email']}>" if person.get("name") else str(person["email"])


def summary(kind: str, payload: Mapping[str, Any] | None) -> str:
    """The one-line summary the action kind gives of a stored payload ("" when it cannot be read)."""
    found = action_kind(kind)
    try:
        return found.load(payload or {}).summary() if found is not None else ""
    except ValueError:  # a payload stored by another version of the kind
        return ""


def headline(payload: Mapping[str, Any] | None) -> str | None:
    """What an action says, in a line: its subject (an email, a task, a ticket) or the start of its body."""
    text = (payload or {}).get("subject") or (payload or {}).get("body")
    return " ".join(text.split()) if isinstance(text, str) else None


def skipped_recipient(message: str) -> dict[str, Any]:
    """A skipped-recipient notice (``role: reason``, or ``task owner role: reason``) as its parts."""
    role, _, reason = message.partition(": ")
    return {"role": role, "reason": reason}
