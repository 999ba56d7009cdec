"""Round robin: which member of a team takes the next turn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def next_in_turn(
    members: Sequence[Mapping[str, Any]], last_member_id: str | None
) -> Mapping[str, Any] | None:
    """The member after the one whose turn was taken last (members in their stable order); the first
    member when no turn was taken yet or that member has left the team; none for an empty team."""
    if not members:
        return None
    ids = [str(m.get("id")) for m in members]
    if last_member_id in ids:
        return members[(ids.index(last_member_id) + 1) % len(members)]
    return members[0]
