"""Resolving the relations of a batch of records with a few batch calls per relation, never one per record.

A link costs one association batch read per 1,000 source objects (none when every source has its ``via``
property) and one object batch read per 100 objects (none when only ids are needed); a count one
association batch read per 1,000; owners are read once per poll.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hubspot.crm.association_type import AssociationType

from .api import HubSpotApi
from .shape import Count, Link, OwnerLink, RecordShape

PRIMARY_TYPES = frozenset(v for k, v in vars(AssociationType).items() if k.startswith("PRIMARY_"))

Owners = Callable[[], Mapping[str, Mapping[str, Any]]]


def _is_primary(target: Mapping[str, Any]) -> bool:
    return any(
        kind.get("label") == "Primary" or kind.get("typeId") in PRIMARY_TYPES
        for kind in target.get("associationTypes", [])
    )


def ranked(targets: list[dict[str, Any]], primary: bool) -> list[str]:
    """Associated ids, oldest first; the primary ones before the rest when ``primary``."""
    order = sorted(targets, key=lambda t: (primary and not _is_primary(t), int(t["toObjectId"])))
    return [str(t["toObjectId"]) for t in order]


class Resolution:
    """The relations of a batch of records (``{record id: properties}``), each resolved on first use."""

    def __init__(
        self, api: HubSpotApi, shape: RecordShape, records: Mapping[str, Mapping[str, Any]], owners: Owners
    ) -> None:
        self.api = api
        self.shape = shape
        self.records = records
        self.owners = owners
        self._linked: dict[str, dict[str, dict[str, Any]]] = {}

    def sources(self, relation: str | None) -> dict[str, tuple[str, Mapping[str, Any]]]:
        """``{record id: (object id, properties)}`` of the record itself (``None``) or of a link."""
        if relation is None:
            return {rid: (rid, props) for rid, props in self.records.items()}
        return {rid: (obj["id"], obj["properties"]) for rid, obj in self.linked(relation).items()}

    def linked(self, name: str) -> dict[str, dict[str, Any]]:
        """``{record id: {id, properties}}`` for link ``name`` (records without one are absent)."""
        if name not in self._linked:
            link = self.shape.links[name]
            sources = self.sources(link.source)
            chosen = self._choose(link, self._candidates(link, dict(sources.values())))
            self._linked[name] = {rid: chosen[sid] for rid, (sid, _) in sources.items() if sid in chosen}
        return self._linked[name]

    def owner(self, link: OwnerLink) -> dict[str, Mapping[str, Any]]:
        """``{record id: owner}`` for the records whose owner-id property names an active owner."""
        owner_ids = {
            rid: str(props[link.property])
            for rid, (_, props) in self.sources(link.source).items()
            if props.get(link.property)
        }
        owners = self.owners() if owner_ids else {}
        return {rid: owners[oid] for rid, oid in owner_ids.items() if oid in owners}

    def count(self, count: Count) -> dict[str, int]:
        """``{record id: number of associated objects}`` for the records that have the count's parent."""
        sources = self.sources(count.source)
        ids = {sid for sid, _ in sources.values()}
        from_type = self.shape.object_of(count.source)
        linked = self.api.associations(from_type, count.object, ids) if ids else {}
        return {rid: len(linked.get(sid, [])) for rid, (sid, _) in sources.items()}

    def _candidates(self, link: Link, sources: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
        """``{source id: candidate ids, best first}``: the ``via`` property's id, else the associated ones."""
        found = {
            sid: [str(props[link.via])] for sid, props in sources.items() if link.via and props.get(link.via)
        }
        missing = [sid for sid in sources if sid not in found]
        if missing:
            from_type = self.shape.object_of(link.source)
            for sid, targets in self.api.associations(from_type, link.object, missing).items():
                found[sid] = ranked(targets, link.primary)
        return found

    def _choose(self, link: Link, candidates: Mapping[str, list[str]]) -> dict[str, dict[str, Any]]:
        """``{source id: object}``: the first candidate (that exists and has ``having`` set, when read)."""
        if not link.properties:
            return {sid: {"id": ids[0], "properties": {}} for sid, ids in candidates.items() if ids}
        considered = {sid: ids if link.having else ids[:1] for sid, ids in candidates.items()}
        objects = self.api.read(link.object, {i for ids in considered.values() for i in ids}, link.properties)
        chosen = {}
        for sid, ids in considered.items():
            for candidate in ids:
                found = objects.get(candidate)
                if found is not None and (not link.having or found["properties"].get(link.having)):
                    chosen[sid] = found
                    break
        return chosen
