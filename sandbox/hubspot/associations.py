"""HubSpot-defined association types (from hubspot-api-client's enum) and the association store.

An association between two records is stored once, in a canonical direction, and read from
either side with the matching reverse type ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from hubspot.crm.association_type import AssociationType

from .portal import reference

PRIMARY = "PRIMARY_"
Endpoint = tuple[str, str]  # (object type name, record id)


@dataclass(frozen=True)
class AssociationKind:
    """One HubSpot-defined association type, e.g. 16 = ticket → contact."""

    type_id: int
    name: str  # the SDK enum name, e.g. "TICKET_TO_CONTACT"
    from_type: str
    to_type: str
    primary: bool

    @property
    def label(self) -> str | None:
        """The v4 label: "Primary" for primary types, none for the default (unlabeled) type."""
        return "Primary" if self.primary else None

    def spec(self) -> dict[str, Any]:
        """The v4 ``associationTypes[]`` entry."""
        return {"category": "HUBSPOT_DEFINED", "typeId": self.type_id, "label": self.label}


class AssociationRegistry:
    """All HubSpot-defined association types between the emulated object types."""

    def __init__(self, kinds: Iterable[AssociationKind]) -> None:
        self.kinds = {kind.type_id: kind for kind in kinds}
        by_name = {kind.name: kind.type_id for kind in self.kinds.values()}
        self.reverse: dict[int, int] = {}
        for kind in self.kinds.values():
            bare = kind.name.removeprefix(PRIMARY)
            left, right = bare.split("_TO_")
            mirrored = (PRIMARY if kind.primary else "") + f"{right}_TO_{left}"
            self.reverse[kind.type_id] = by_name[mirrored]

    def kind(self, type_id: int) -> AssociationKind | None:
        return self.kinds.get(type_id)

    def default(self, from_type: str, to_type: str) -> AssociationKind | None:
        """The unlabeled type every association between these object types carries."""
        return next(
            (
                k
                for k in self.kinds.values()
                if (k.from_type, k.to_type) == (from_type, to_type) and not k.primary
            ),
            None,
        )

    def v3_name(self, type_id: int) -> str:
        """The v3 ``associations.*.results[].type`` string, e.g. ``contact_to_company_unlabeled``."""
        kind = self.kinds[type_id]
        base = kind.name.removeprefix(PRIMARY).lower()
        has_primary = any(
            k.primary and (k.from_type, k.to_type) == (kind.from_type, kind.to_type)
            for k in self.kinds.values()
        )
        return base + "_unlabeled" if has_primary and not kind.primary else base


@cache
def registry() -> AssociationRegistry:
    """The registry built from ``hubspot.crm.association_type.AssociationType``."""
    ref = reference()
    kinds = []
    for name, type_id in vars(AssociationType).items():
        if name.startswith("_") or not isinstance(type_id, int):
            continue
        left, right = name.removeprefix(PRIMARY).split("_TO_")
        from_type, to_type = ref.object_type(left), ref.object_type(right)
        if from_type is None or to_type is None:
            continue  # deals, quotes, meetings, ... are not emulated
        kinds.append(AssociationKind(type_id, name, from_type.name, to_type.name, name.startswith(PRIMARY)))
    return AssociationRegistry(kinds)


class AssociationStore:
    """Associations between records, each pair stored once with its type ids in canonical direction."""

    def __init__(self, kinds: AssociationRegistry) -> None:
        self.kinds = kinds
        self._edges: dict[tuple[Endpoint, Endpoint], set[int]] = {}
        self._index: dict[Endpoint, set[tuple[Endpoint, Endpoint]]] = defaultdict(set)

    def _key(
        self, a: Endpoint, b: Endpoint, type_ids: Iterable[int]
    ) -> tuple[tuple[Endpoint, Endpoint], set[int]]:
        """Canonical (key, type ids) for ``a → b`` with ``type_ids`` seen from ``a``."""
        if a <= b:
            return (a, b), set(type_ids)
        return (b, a), {self.kinds.reverse[t] for t in type_ids}

    def add(self, a: Endpoint, b: Endpoint, type_ids: Iterable[int]) -> None:
        """Associate ``a → b`` with ``type_ids`` (ids seen from ``a``); the default type is always added."""
        wanted = set(type_ids)
        default = self.kinds.default(a[0], b[0])
        if default is not None:
            wanted.add(default.type_id)
        key, ids = self._key(a, b, wanted)
        self._edges.setdefault(key, set()).update(ids)
        self._index[key[0]].add(key)
        self._index[key[1]].add(key)

    def remove(self, a: Endpoint, b: Endpoint, type_ids: Iterable[int] | None = None) -> None:
        """Remove the given labels, or the whole association when ``type_ids`` is None or the default type."""
        requested = None if type_ids is None else set(type_ids)
        key, ids = self._key(a, b, requested or ())
        if key not in self._edges:
            return
        default = self.kinds.default(a[0], b[0])
        if requested is None or (default is not None and default.type_id in requested):
            del self._edges[key]
            self._index[key[0]].discard(key)
            self._index[key[1]].discard(key)
            return
        self._edges[key] -= ids

    def types(self, a: Endpoint, b: Endpoint) -> list[int]:
        """Type ids of ``a → b`` seen from ``a`` (empty when not associated)."""
        key, _ = self._key(a, b, ())
        stored = self._edges.get(key, set())
        return sorted(stored if key[0] == a else {self.kinds.reverse[t] for t in stored})

    def targets(self, a: Endpoint, to_type: str) -> dict[str, list[int]]:
        """``{to_id: type ids seen from a}`` for every ``to_type`` record associated with ``a``, by id."""
        found: dict[str, list[int]] = {}
        for key in self._index.get(a, ()):
            other = key[1] if key[0] == a else key[0]
            if other[0] == to_type:
                found[other[1]] = self.types(a, other)
        return dict(sorted(found.items(), key=lambda item: int(item[0])))

    def snapshot(self) -> list[list[Any]]:
        return [[a[0], a[1], b[0], b[1], sorted(ids)] for (a, b), ids in sorted(self._edges.items())]

    def restore(self, edges: list[list[Any]]) -> None:
        self._edges.clear()
        self._index.clear()
        for a_type, a_id, b_type, b_id, ids in edges:
            key = ((a_type, a_id), (b_type, b_id))
            self._edges[key] = set(ids)
            self._index[key[0]].add(key)
            self._index[key[1]].add(key)
