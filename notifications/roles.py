"""A named recipient role, as compiled from the ``roles`` section of the configuration."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    """A named recipient: a person found through a record's fields, a fixed address, the members of a
    CRM team, the next member of a team in turn, or the first of other roles that finds someone."""

    name: str
    source: str | None = None
    email: str | None = None
    id: str | None = None
    display_name: str | None = None
    active: str | None = None
    address: str | None = None
    team: str | None = None
    round_robin: str | None = None
    first_of: tuple[str, ...] = ()
