"""Objects → stream records: ``{id, <properties>, <relations>}``, each relation placed under its name (a
related object as ``{id, <properties>}``, an owner as ``{id, email, firstName, lastName, ...}``, a count
as a number; ``None`` when a record has no such object)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .api import HubSpotApi
from .relations import Owners, Resolution
from .shape import OWNER_FIELDS, RecordShape


class Enricher:
    """Builds records for a batch of objects with a fixed number of batch calls per relation."""

    def __init__(self, api: HubSpotApi, owners: Owners) -> None:
        self.api = api
        self.owners = owners

    def records(self, objects: Sequence[dict[str, Any]], shape: RecordShape) -> list[dict[str, Any]]:
        """One record per object, in order."""
        props = {str(o["id"]): o["properties"] for o in objects}
        resolution = Resolution(self.api, shape, props, self.owners)
        values: dict[str, Mapping[str, Any]] = {}
        for link in shape.links.values():
            found = resolution.linked(link.name)
            values[link.name] = {rid: _object(obj, link.carried) for rid, obj in found.items()}
        for owned in shape.owners:
            found_owners = resolution.owner(owned)
            values[owned.name] = {rid: _owner(o, owned.fields) for rid, o in found_owners.items()}
        for count in shape.counts:
            values[count.name] = resolution.count(count)
        records = []
        for rid, properties in props.items():
            record = {"id": rid, **{name: properties.get(name) for name in shape.carried}}
            for related in shape.placed:
                placed_in, _, key = related.name.rpartition(".")
                holder = _at(record, placed_in)
                if holder is not None:
                    holder[key] = values[related.name].get(rid)
            records.append(record)
        return records


def _at(record: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The object at a relation path of a record being built (the record itself for ``""``)."""
    current: Any = record
    for part in filter(None, path.split(".")):
        current = current.get(part) if isinstance(current, dict) else None
    return current if isinstance(current, dict) else None


def _owner(owner: Mapping[str, Any], extra: Sequence[str]) -> dict[str, Any]:
    return {"id": str(owner["id"]), **{k: owner.get(k) for k in (*OWNER_FIELDS[1:], *extra)}}


def _object(found: Mapping[str, Any], properties: Sequence[str]) -> dict[str, Any]:
    return {"id": str(found["id"]), **{name: found["properties"].get(name) for name in properties}}
