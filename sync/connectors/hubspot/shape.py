"""What a stream's records carry, compiled from its ``fields`` and ``relations``: the properties read at
each level (the record, each related object) and where every relation sits in the record.

A field is a property of the record (``hs_value``) or ``RELATION.NAME``: a property of a related object
(``contact.email``), an owner's attribute (``analyst.email``), or a count itself (``ticket.calls_logged``).
Only relations that some field (or delivery) needs are resolved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rules.model import Stream

from .settings import HubSpotStreamSettings, Relation, dependency_order, source
from .where import WhereError, parse_where

OWNER_FIELDS = ("id", "email", "firstName", "lastName")  # every owner carries these
OWNER_ATTRIBUTES = frozenset(
    {
        *OWNER_FIELDS,
        "userId",
        "userIdIncludingInactive",
        "type",
        "teams",
        "archived",
        "createdAt",
        "updatedAt",
    }
)
MODIFIED = "hs_lastmodifieddate"
MODIFIED_BY_OBJECT = {"contacts": "lastmodifieddate"}


def modified_property(object_type: str) -> str:
    """The property holding when an object of this type last changed (what polling searches on)."""
    return MODIFIED_BY_OBJECT.get(object_type, MODIFIED)


def _unique(names: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name in names if name))


@dataclass(frozen=True)
class Related:
    """A relation as records carry it: its name, and the link it is reached from (``None``: the record)."""

    name: str
    source: str | None


@dataclass(frozen=True)
class Link(Related):
    """An associated object: ``properties`` are read (none: its id is enough), ``carried`` go in records."""

    object: str
    via: str | None
    primary: bool
    having: str | None
    properties: tuple[str, ...]
    carried: tuple[str, ...]


@dataclass(frozen=True)
class OwnerLink(Related):
    """The owner whose id is in ``property`` of the record or of the source link."""

    property: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Count(Related):
    """How many ``object`` records are associated with the source link (or the record)."""

    object: str


@dataclass(frozen=True)
class RecordShape:
    """A stream's records: their object's properties to read and carry, and their relations in the order
    they are resolved (each after the relation it is reached from)."""

    object: str
    modified: str
    properties: tuple[str, ...]
    carried: tuple[str, ...]
    links: Mapping[str, Link]
    owners: tuple[OwnerLink, ...]
    counts: tuple[Count, ...]

    @classmethod
    def of(cls, stream: Stream) -> RecordShape:
        """The shape of ``stream``'s records; raises ValueError (WhereError) naming what it cannot fill."""
        relations = stream.settings.relations if isinstance(stream.settings, HubSpotStreamSettings) else {}
        try:
            conditions = parse_where(stream.where)
            return cls.build(stream.object, relations, stream.fields, [c.name for c in conditions])
        except WhereError as exc:
            raise WhereError(f"stream {stream.name}: {exc}") from None
        except ValueError as exc:
            raise ValueError(f"stream {stream.name}: {exc}") from None

    @classmethod
    def build(
        cls,
        object_type: str,
        relations: Mapping[str, Relation],
        fields: Iterable[str],
        read: Iterable[str] = (),
        keep: Iterable[str] = (),
    ) -> RecordShape:
        """The shape carrying ``fields``, also reading the record properties ``read`` and resolving the
        relations ``keep``; raises ValueError for a field no relation explains."""
        carried: dict[str | None, list[str]] = {None: [], **{name: [] for name in relations}}
        named = set(keep)
        for path in fields:
            level, rest = _split(path, relations)
            if level is not None:
                named.add(level)
            if rest and rest != "id":
                carried[level].append(rest)
        needed = [name for name in dependency_order(relations) if name in _needed(named, relations)]
        reads: dict[str | None, list[str | None]] = {None: [*carried[None], *read]}
        for name in needed:  # each after its source: what a relation needs is read with its source
            relation = relations[name]
            reads[name] = [*carried[name], relation.having]
            reads[source(name, relation)].append(relation.id_property)
        related = [_related(name, relations[name], carried[name], reads[name]) for name in needed]
        top = _unique([modified_property(object_type), *carried[None]])
        return cls(
            object=object_type,
            modified=modified_property(object_type),
            properties=_unique([*top, *reads[None]]),
            carried=top,
            links={r.name: r for r in related if isinstance(r, Link)},
            owners=tuple(r for r in related if isinstance(r, OwnerLink)),
            counts=tuple(r for r in related if isinstance(r, Count)),
        )

    def object_of(self, relation: str | None) -> str:
        """The object type of the record (``None``) or of a link."""
        return self.object if relation is None else self.links[relation].object

    def chain(self, relation: str | None) -> list[Link]:
        """The links from the record to ``relation``, the record's own first."""
        chain: list[Link] = []
        while relation is not None:
            chain.insert(0, self.links[relation])
            relation = self.links[relation].source
        return chain

    @property
    def placed(self) -> list[Related]:
        """Every relation, parents before what is placed in them."""
        related: list[Related] = [*self.links.values(), *self.owners, *self.counts]
        return sorted(related, key=lambda r: r.name.count("."))


def _related(name: str, relation: Relation, carried: list[str], reads: list[str | None]) -> Related:
    reached_from = source(name, relation)
    if relation.owner is not None:
        extra = tuple(f for f in carried if f not in OWNER_FIELDS)
        return OwnerLink(name, reached_from, str(relation.id_property), extra)
    if relation.count is not None:
        return Count(name, reached_from, relation.count)
    return Link(
        name=name,
        source=reached_from,
        object=str(relation.object),
        via=relation.via,
        primary=relation.primary,
        having=relation.having,
        properties=_unique(reads),
        carried=_unique(carried),
    )


def _split(path: str, relations: Mapping[str, Relation]) -> tuple[str | None, str]:
    """(relation, rest) for a field path: the longest declared relation it starts with; raises ValueError."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        name = ".".join(parts[:cut])
        if name in relations:
            return name, _rest(path, name, relations[name], parts[cut:])
    if len(parts) > 1:
        declared = ", ".join(relations) or "none"
        raise ValueError(f"field {path!r}: {parts[0]} is not a declared relation (relations: {declared})")
    return None, path


def _rest(path: str, name: str, relation: Relation, rest: list[str]) -> str:
    """The property (or owner attribute) a field reads of relation ``name``; raises ValueError."""
    if relation.count is not None:
        if rest:
            raise ValueError(f"field {path!r}: {name} is a count, it has no fields")
        return ""
    if not rest:
        raise ValueError(f"field {path!r} names the relation {name}: list what it carries, e.g. {name}.id")
    if len(rest) > 1:
        raise ValueError(f"field {path!r}: {name}.{rest[0]} is not a declared relation")
    if relation.owner is not None and rest[0] not in OWNER_ATTRIBUTES:
        attributes = ", ".join(sorted(OWNER_ATTRIBUTES))
        raise ValueError(f"field {path!r}: {name} is an owner, with {attributes}; not {rest[0]}")
    return rest[0]


def _needed(names: set[str], relations: Mapping[str, Relation]) -> set[str]:
    """``names`` and every relation they are reached from or placed in."""
    needed: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        placed_in = name.rpartition(".")[0]
        pending.extend(n for n in (source(name, relations[name]), placed_in or None) if n)
    return needed
