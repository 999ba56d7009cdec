"""The ``hubspot`` section: connection settings, and ``hubspot.streams.NAME``: the object a stream polls
and the relations its records carry.

A relation, under the name records carry it as, is one of:

- ``{object: contacts, via: hs_contact_id}``: an associated object, reached from the record or, with
  ``from: NAME``, from another relation. Its id is the ``via`` property's value when that is set, else
  the association's; ``having: PROPERTY`` keeps only objects with that property set; among several,
  the primary one first with ``primary: true``, else the oldest (lowest id).
- ``{owner: company.cs_business_analyst}``: the HubSpot owner whose id is in that property (of the record,
  or of a relation: ``RELATION.PROPERTY``).
- ``{count: calls}``: how many objects of that type are associated with the parent (or the record).

A dotted name places a relation inside its parent's object: ``ticket.owner`` is the ticket's owner.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import ConfigDict, Field, model_validator

from rules.durations import Duration
from rules.settings import ConnectionSettings, DurationField, StreamSettings, Strict

NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
PATH = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$"
OBJECT_TYPE = r"^[A-Za-z0-9_-]+$"  # "contacts", "0-5", "2-1234567", "p_custom"


class Relation(Strict):
    """One related object, owner or count; exactly one of ``object``, ``owner`` and ``count``."""

    model_config = ConfigDict(populate_by_name=True)

    object: str | None = Field(default=None, pattern=OBJECT_TYPE)
    source: str | None = Field(default=None, alias="from", pattern=PATH)
    via: str | None = Field(default=None, pattern=NAME)
    primary: bool = False
    having: str | None = Field(default=None, pattern=NAME)
    owner: str | None = Field(default=None, pattern=PATH)
    count: str | None = Field(default=None, pattern=OBJECT_TYPE)

    @model_validator(mode="after")
    def _one_kind(self) -> Relation:
        kinds = [k for k in ("object", "owner", "count") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                "a relation is exactly one of: object (an associated object), owner (a property holding "
                "an owner id), count (a type of associated objects)"
                + (f"; this one has {', '.join(kinds)}" if kinds else "")
            )
        options = {"from": self.source, "via": self.via, "primary": self.primary, "having": self.having}
        given = [key for key, value in options.items() if value]
        if self.object is None and given:
            raise ValueError(f"an {kinds[0]} relation does not take {', '.join(given)}")
        return self

    @property
    def id_property(self) -> str | None:
        """The property of the source holding this relation's id: ``via``, or the owner-id property."""
        return self.via or (self.owner.rpartition(".")[2] if self.owner else None)


def parent(name: str) -> str | None:
    """The relation a dotted name is placed in (``ticket`` for ``ticket.owner``)."""
    head = name.rpartition(".")[0]
    return head or None


def source(name: str, relation: Relation) -> str | None:
    """The relation whose object this one is reached from (``None``: the record itself)."""
    if relation.owner is not None:
        return parent(relation.owner)
    return relation.source or parent(name)


def dependency_order(relations: Mapping[str, Relation]) -> list[str]:
    """Relation names with every relation after the one it is reached from (they form no cycle)."""
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name not in ordered:
            reached_from = source(name, relations[name])
            if reached_from is not None:
                visit(reached_from)
            ordered.append(name)

    for name in relations:
        visit(name)
    return ordered


def relation_problems(relations: Mapping[str, Relation]) -> list[str]:
    """What makes these relations unusable: unknown or non-object sources, nesting, cycles."""
    problems = []
    objects = {name for name, relation in relations.items() if relation.object is not None}
    for name, relation in relations.items():
        placed_in, reached_from = parent(name), source(name, relation)
        if placed_in is not None and placed_in not in objects:
            problems.append(f"{name}: {placed_in} is not an object relation of this stream")
        elif relation.source is not None and placed_in is not None:
            problems.append(f"{name}: a nested relation is reached from its parent {placed_in}; drop from")
        elif reached_from is not None and reached_from not in objects:
            declared = ", ".join(sorted(objects)) or "none"
            problems.append(f"{name}: {reached_from} is not an object relation of this stream ({declared})")
    if problems:
        return problems
    for name in [name for name in relations if name in objects]:  # in declared order
        seen = [name]
        reached_from = source(name, relations[name])
        while reached_from is not None:
            if reached_from in seen:
                cycle = " -> ".join([*seen, reached_from])
                return [f"{name}: relations reached from each other form a cycle ({cycle})"]
            seen.append(reached_from)
            reached_from = source(reached_from, relations[reached_from])
    return []


class HubSpotStreamSettings(StreamSettings):
    """A HubSpot stream: ``relations`` name what its records carry besides the object's properties."""

    relations: dict[str, Relation] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _relations_connect(self) -> HubSpotStreamSettings:
        for name in self.relations:
            if not re.fullmatch(PATH, name):
                raise ValueError(f"relation name {name!r}: use letters, digits and underscores (dots nest)")
        problems = relation_problems(self.relations)
        if problems:
            raise ValueError("relations: " + "; ".join(problems))
        return self


class HubSpotSettings(ConnectionSettings):
    base_url: str = "https://api.hubapi.com"
    access_token: str
    # "v3": the legacy CRM paths (/crm/v3/objects/..., unsupported from September 2027); a date version
    # ("2026-03"): HubSpot's date-versioned paths (/crm/objects/2026-03/...).
    api_version: str = Field(default="v3", pattern=r"^(v3|\d{4}-\d{2})$")
    ca_bundle: str | None = None
    timeout: DurationField = Duration(seconds=30)
    # Each poll re-reads this much before its cursor: the search index lags behind writes.
    overlap: DurationField = Duration(seconds=600)
    # The search API's own limit is 5 requests per second per account.
    search_requests_per_second: float = Field(default=4.0, gt=0, le=5)
    # Stop calling (BudgetExhausted) once this share of the daily API limit is used.
    max_daily_usage: float = Field(default=0.9, gt=0, le=1)
    # The transactional email (a template with {{ custom.subject }}, body, html) every send uses.
    transactional_email_id: int = Field(default=0, ge=0)
    # Sends are queued: each delivery first reads the status of this many sends, those checked longest ago.
    status_checks_per_cycle: int = Field(default=200, ge=1)
    # A send with no final status this long after it was made is recorded as unconfirmed.
    send_status_timeout: DurationField = Duration(days=1)
    streams: dict[str, HubSpotStreamSettings] = Field(default_factory=dict)  # type: ignore[assignment]
