"""A stream's ``where``: ``prop = VALUE`` / ``prop != VALUE`` clauses joined by ``and``.

It becomes search filters (``EQ``/``NEQ``) and a client-side test for records read by id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_CONDITIONS = 5  # a search filter group holds 6 filters; one is the modification date

_CLAUSE = re.compile(
    r"\s*(?P<name>[A-Za-z_]\w*)\s*(?P<op>!=|=)\s*"
    r"(?:'(?P<single>[^']*)'|\"(?P<double>[^\"]*)\"|(?P<bare>[^\s'\"]+))\s*"
)
_AND = re.compile(r"and\b", re.IGNORECASE)


class WhereError(ValueError):
    """A ``where`` the HubSpot adapter cannot turn into search filters."""


@dataclass(frozen=True)
class Condition:
    name: str
    value: str
    negated: bool = False

    def search_filter(self) -> dict[str, str]:
        return {"propertyName": self.name, "operator": "NEQ" if self.negated else "EQ", "value": self.value}

    def matches(self, properties: Mapping[str, Any]) -> bool:
        """As search compares strings: case-insensitively; an unset property is unequal to anything."""
        equal = str(properties.get(self.name) or "").lower() == self.value.lower()
        return equal != self.negated


def parse_where(text: str | None) -> tuple[Condition, ...]:
    """The conditions of ``text`` (none when empty); raises WhereError for anything else."""
    if text is None or not text.strip():
        return ()
    conditions: list[Condition] = []
    position = 0
    while True:
        match = _CLAUSE.match(text, position)
        if match is None:
            break
        value = next(v for v in match.group("single", "double", "bare") if v is not None)
        conditions.append(Condition(match["name"], value, match["op"] == "!="))
        position = match.end()
        if position == len(text):
            if len(conditions) > MAX_CONDITIONS:
                raise WhereError(f"where {text!r}: at most {MAX_CONDITIONS} conditions are supported")
            return tuple(conditions)
        joined = _AND.match(text, position)
        if joined is None:
            break
        position = joined.end()
    raise WhereError(
        f"where {text!r}: HubSpot streams support only `property = VALUE` and `property != VALUE` "
        "joined by `and` (e.g. `hs_survey_type = NPS and hs_survey_channel != EMAIL`)"
    )
