"""The reference portal: object types, property definitions, ticket pipelines and teams.

Loaded once from ``sandbox/data/hubspot_portal.json``; everything here is immutable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

DATA_FILE = "hubspot_portal.json"

FIELD_TYPES = {
    "string": "text",
    "number": "number",
    "datetime": "date",
    "date": "date",
    "enumeration": "select",
    "bool": "booleancheckbox",
}


@dataclass(frozen=True)
class PropertyDef:
    """One property definition as ``crm/v3/properties`` describes it."""

    name: str
    label: str
    type: str
    field_type: str
    group_name: str
    options: tuple[str, ...] = ()
    options_from: str | None = (
        None  # "owners", "teams", "pipelines" or "stages": options come from portal state
    )
    has_unique_value: bool = False
    custom: bool = False
    read_only: bool = False

    def as_json(self, options: list[tuple[str, str]], created_at: str) -> dict[str, Any]:
        """The property as the properties API answers it, with ``options`` as (value, label) pairs."""
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": "",
            "groupName": self.group_name,
            "options": [
                {"label": label, "value": value, "displayOrder": order, "hidden": False}
                for order, (value, label) in enumerate(options)
            ],
            "displayOrder": -1,
            "calculated": False,
            "externalOptions": self.options_from is not None,
            "hasUniqueValue": self.has_unique_value,
            "hidden": False,
            "hubspotDefined": not self.custom,
            "modificationMetadata": {
                "archivable": self.custom,
                "readOnlyDefinition": not self.custom,
                "readOnlyValue": self.read_only,
            },
            "formField": not self.read_only,
            "createdAt": created_at,
            "updatedAt": created_at,
            "archived": False,
        }
        if self.options_from == "owners":
            body["referencedObjectType"] = "OWNER"
        return body


@dataclass(frozen=True)
class ObjectType:
    """A CRM object type and its property schema."""

    name: str  # the plural path name, e.g. "tickets"
    type_id: str  # e.g. "0-5"
    created_property: str
    modified_property: str
    default_properties: tuple[str, ...]
    required: tuple[str, ...]
    read_only: bool
    properties: dict[str, PropertyDef]

    @property
    def singular(self) -> str:
        """``ticket``, ``company``, ``feedback_submission``."""
        return self.name[:-3] + "y" if self.name.endswith("ies") else self.name[:-1]

    @property
    def always_properties(self) -> tuple[str, ...]:
        """Properties every read returns, whatever ``properties=`` asked for."""
        return ("hs_object_id", self.created_property, self.modified_property)

    @property
    def unique_properties(self) -> tuple[str, ...]:
        return tuple(name for name, prop in self.properties.items() if prop.has_unique_value)


@dataclass(frozen=True)
class Stage:
    id: str
    label: str
    display_order: int
    ticket_state: str


@dataclass(frozen=True)
class Pipeline:
    id: str
    label: str
    display_order: int
    stages: tuple[Stage, ...]

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def as_json(self, created_at: str) -> dict[str, Any]:
        """The pipeline as ``crm/v3/pipelines/tickets`` answers it."""
        stamps = {"createdAt": created_at, "updatedAt": created_at, "archived": False}
        return {
            "id": self.id,
            "label": self.label,
            "displayOrder": self.display_order,
            "stages": [
                {
                    "id": s.id,
                    "label": s.label,
                    "displayOrder": s.display_order,
                    "metadata": {"ticketState": s.ticket_state},
                    "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                    **stamps,
                }
                for s in self.stages
            ],
            **stamps,
        }


@dataclass(frozen=True)
class Reference:
    """The whole reference portal."""

    portal_id: int
    created_at: str
    teams: tuple[tuple[str, str], ...]  # (id, name)
    pipelines: tuple[Pipeline, ...]
    object_types: dict[str, ObjectType]

    def object_type(self, name: str) -> ObjectType | None:
        """Resolve a path name: plural (``tickets``), singular (``ticket``) or type id (``0-5``)."""
        key = name.lower()
        for otype in self.object_types.values():
            if key in (otype.name, otype.singular, otype.type_id):
                return otype
        return None

    def pipeline(self, pipeline_id: str) -> Pipeline | None:
        return next((p for p in self.pipelines if p.id == pipeline_id), None)


def _system_properties(created: str, modified: str) -> dict[str, PropertyDef]:
    group = "system"
    names = {"hs_createdate", "hs_lastmodifieddate", created, modified}
    props = {
        name: PropertyDef(name, name.replace("_", " "), "datetime", "date", group, read_only=True)
        for name in sorted(names)
    }
    props["hs_object_id"] = PropertyDef(
        "hs_object_id", "Record ID", "number", "number", group, read_only=True
    )
    return props


def _property(raw: dict[str, Any], group: str) -> PropertyDef:
    return PropertyDef(
        name=raw["name"],
        label=raw["label"],
        type=raw["type"],
        field_type=raw.get("fieldType", FIELD_TYPES[raw["type"]]),
        group_name=raw.get("groupName", group),
        options=tuple(raw.get("options", ())),
        options_from=raw.get("optionsFrom"),
        has_unique_value=raw.get("hasUniqueValue", False),
        custom=raw.get("custom", False),
    )


def _object_type(name: str, raw: dict[str, Any]) -> ObjectType:
    created, modified = raw["createdProperty"], raw["modifiedProperty"]
    props = _system_properties(created, modified)
    group = (name[:-3] + "y" if name.endswith("ies") else name[:-1]) + "information"
    props.update({p["name"]: _property(p, group) for p in raw["properties"]})
    return ObjectType(
        name=name,
        type_id=raw["objectTypeId"],
        created_property=created,
        modified_property=modified,
        default_properties=tuple(raw["defaultProperties"]),
        required=tuple(raw["required"]),
        read_only=raw.get("readOnly", False),
        properties=props,
    )


@cache
def reference() -> Reference:
    """The reference portal (parsed once)."""
    raw = json.loads(files("sandbox").joinpath("data", DATA_FILE).read_text(encoding="utf-8"))
    pipelines = tuple(
        Pipeline(
            id=p["id"],
            label=p["label"],
            display_order=order,
            stages=tuple(
                Stage(s["id"], s["label"], index, s["ticketState"]) for index, s in enumerate(p["stages"])
            ),
        )
        for order, p in enumerate(raw["ticketPipelines"])
    )
    return Reference(
        portal_id=raw["portalId"],
        created_at=raw["createdAt"],
        teams=tuple((t["id"], t["name"]) for t in raw["teams"]),
        pipelines=pipelines,
        object_types={name: _object_type(name, spec) for name, spec in raw["objectTypes"].items()},
    )
