"""JSON views of records, batch envelopes and pages, shaped as HubSpot's v3 objects API answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import ApiError
from .portal import ObjectType
from .state import PortalState
from .store import Record

API_BASE = "https://api.hubapi.com"


def select_properties(
    otype: ObjectType, record: Record, requested: Sequence[str] | None
) -> dict[str, str | None]:
    """The default properties, or the always-returned ones plus those ``requested`` (unset ones as null)."""
    names = otype.default_properties if not requested else (*otype.always_properties, *requested)
    return {name: record.properties.get(name) for name in dict.fromkeys(names) if name in otype.properties}


def object_json(
    state: PortalState,
    otype: ObjectType,
    record: Record,
    requested: Sequence[str] | None = None,
    association_types: Sequence[str] = (),
    all_properties: bool = False,
) -> dict[str, Any]:
    """``{id, properties, createdAt, updatedAt, archived[, archivedAt][, associations]}``."""
    body: dict[str, Any] = {
        "id": record.id,
        "properties": dict(record.properties)
        if all_properties
        else select_properties(otype, record, requested),
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
        "archived": record.archived,
    }
    if record.archived_at:
        body["archivedAt"] = record.archived_at
    associations = _associations(state, record, association_types)
    if associations:
        body["associations"] = associations
    return body


def _associations(state: PortalState, record: Record, names: Sequence[str]) -> dict[str, Any]:
    """``{contacts: {results: [{id, type}]}}`` for each requested type with at least one association."""
    found: dict[str, Any] = {}
    for name in names:
        target = state.ref.object_type(name)
        if target is None:
            continue
        targets = state.associations.targets((record.type, record.id), target.name)
        results = [
            {"id": to_id, "type": state.associations.kinds.v3_name(type_id)}
            for to_id, type_ids in targets.items()
            if state.store.get(target, to_id) is not None  # archived records drop out
            for type_id in type_ids
        ]
        if results:
            found[target.name] = {"results": results}
    return found


def batch_json(results: list[dict[str, Any]], errors: list[ApiError], now: str) -> dict[str, Any]:
    """The batch envelope; ``numErrors``/``errors`` only when some inputs failed (a 207)."""
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = [error.batch_entry() for error in errors]
    return body


def next_page(path: str, after: str) -> dict[str, Any]:
    """``paging`` for a list answer: the next cursor and its link."""
    return {"next": {"after": after, "link": f"{API_BASE}{path}?after={after}"}}
