"""CRM records: ids, server-maintained properties, unique values and archiving."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .errors import ApiError, PropertyIssue, property_error
from .portal import ObjectType, Reference

FIRST_ID = 1_000_001

#: How a unique-value clash is worded ({id}: the record holding the value, {property}: its name). HubSpot
#: does not document this wording; ``set_clash_wording`` changes it so tests prove nothing depends on it.
CLASH_MESSAGE = "{id} already has that value for unique property {property}"
CLASH_CODE = "DUPLICATE_VALUE"


@dataclass
class Record:
    """One stored CRM object."""

    type: str
    id: str
    properties: dict[str, str | None]
    created_at: str
    updated_at: str
    archived: bool = False
    archived_at: str | None = None


def _fold(prop: str, value: str) -> str:
    """Unique values compare exactly, except emails (case-insensitive)."""
    return value.lower() if prop == "email" else value


class ObjectStore:
    """Every record of every object type; ids come from one portal-wide counter."""

    def __init__(self, ref: Reference) -> None:
        self.ref = ref
        self.records: dict[str, dict[str, Record]] = {name: {} for name in ref.object_types}
        self._unique: dict[
            tuple[str, str], dict[str, str]
        ] = {}  # (type, property) -> value -> live record id
        self._next_id = FIRST_ID
        self.clash_wording = (CLASH_MESSAGE, CLASH_CODE)

    def reset(self) -> None:
        for records in self.records.values():
            records.clear()
        self._unique.clear()
        self._next_id = FIRST_ID
        self.clash_wording = (CLASH_MESSAGE, CLASH_CODE)

    def set_clash_wording(self, message: str, code: str) -> None:
        """Word unique-value clashes differently (``{id}`` and ``{property}`` are filled in)."""
        message.format(id="1", property="p")  # refuse unknown placeholders now, not on the next clash
        self.clash_wording = (message, code)

    def get(self, otype: ObjectType, record_id: str, include_archived: bool = False) -> Record | None:
        record = self.records[otype.name].get(record_id)
        if record is None or (record.archived and not include_archived):
            return None
        return record

    def find_unique(self, otype: ObjectType, prop: str, value: str) -> Record | None:
        """The live record whose unique property ``prop`` holds ``value``."""
        if prop == "hs_object_id":
            return self.get(otype, value)
        record_id = self._unique.get((otype.name, prop), {}).get(_fold(prop, value))
        return None if record_id is None else self.get(otype, record_id)

    def _index(self, record: Record, add: bool) -> None:
        """Add ``record``'s unique values to (or drop them from) the unique index."""
        otype = self.ref.object_types[record.type]
        for prop in otype.unique_properties:
            value = record.properties.get(prop)
            if value is None:
                continue
            index = self._unique.setdefault((record.type, prop), {})
            if add:
                index[_fold(prop, value)] = record.id
            else:
                index.pop(_fold(prop, value), None)

    def live(self, otype: ObjectType) -> list[Record]:
        """Unarchived records in id order."""
        return [r for r in self._ordered(otype.name) if not r.archived]

    def archived(self, otype: ObjectType) -> list[Record]:
        return [r for r in self._ordered(otype.name) if r.archived]

    def _ordered(self, type_name: str) -> list[Record]:
        return sorted(self.records[type_name].values(), key=lambda r: int(r.id))

    def create(self, otype: ObjectType, values: Mapping[str, str | None], now: str) -> Record:
        """Store a new record from validated values; the server fills id and timestamps."""
        self.check_unique(otype, values, None)
        record_id = str(self._next_id)
        self._next_id += 1
        props: dict[str, str | None] = {name: value for name, value in values.items() if value is not None}
        created = props.get(otype.created_property) or props.get("hs_createdate") or now
        modified = props.get(otype.modified_property) or props.get("hs_lastmodifieddate") or now
        props.update({"hs_object_id": record_id, "hs_createdate": created, otype.created_property: created})
        props.update({"hs_lastmodifieddate": modified, otype.modified_property: modified})
        if otype.name == "feedback_submissions":  # HubSpot stamps the time the survey was answered
            props.setdefault("hs_submission_timestamp", created)
        record = Record(otype.name, record_id, props, created_at=created, updated_at=modified)
        self.records[otype.name][record_id] = record
        self._index(record, add=True)
        return record

    def update(self, otype: ObjectType, record: Record, values: Mapping[str, str | None], now: str) -> Record:
        """Apply validated values (``None`` clears) and bump the modification timestamps."""
        self.check_unique(otype, values, record.id)
        self._index(record, add=False)
        for name, value in values.items():
            if value is None:
                record.properties.pop(name, None)
            else:
                record.properties[name] = value
        record.properties["hs_lastmodifieddate"] = record.properties[otype.modified_property] = now
        record.updated_at = now
        self._index(record, add=True)
        return record

    def archive(self, record: Record, now: str) -> None:
        self._index(record, add=False)
        record.archived = True
        record.archived_at = now
        record.updated_at = now

    def check_unique(self, otype: ObjectType, values: Mapping[str, str | None], own_id: str | None) -> None:
        """Refuse values another live record already holds in a unique property."""
        for prop in otype.unique_properties:
            value = values.get(prop)
            holder = self.find_unique(otype, prop, value) if value else None
            if holder is None or holder.id == own_id:
                continue
            if otype.name == "contacts" and prop == "email":
                raise ApiError(
                    409,
                    "CONFLICT",
                    f"Contact already exists. Existing ID: {holder.id}",
                    sub_category="OBJECT_ALREADY_EXISTS",
                )
            wording, code = self.clash_wording
            issue = PropertyIssue(prop, code, wording.format(id=holder.id, property=prop))
            raise property_error([issue], self.ref.portal_id)

    def snapshot(self) -> dict[str, Any]:
        return {
            "next_id": self._next_id,
            "records": {name: [asdict(r) for r in self._ordered(name)] for name in self.records},
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.reset()
        self._next_id = state["next_id"]
        for name, records in state["records"].items():
            self.records[name] = {r["id"]: Record(**r) for r in records}
            for record in self.records[name].values():
                if not record.archived:
                    self._index(record, add=True)
