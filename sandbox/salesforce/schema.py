"""The reference org schema: object and field definitions loaded from JSON, and their describe shapes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

SCHEMA_RESOURCE = "data/salesforce_schema.json"
POLYMORPHIC_OBJECT = "Name"
AUDIT_FIELDS = frozenset({"CreatedDate", "CreatedById"})

_SYSTEM_FIELDS: list[dict[str, Any]] = [
    {
        "name": "Id",
        "type": "id",
        "label": "Record ID",
        "length": 18,
        "nillable": False,
        "createable": False,
        "updateable": False,
        "idLookup": True,
    },
    {"name": "IsDeleted", "type": "boolean", "label": "Deleted", "createable": False, "updateable": False},
    {"name": "CreatedDate", "type": "datetime", "label": "Created Date", "updateable": False},
    {
        "name": "CreatedById",
        "type": "reference",
        "label": "Created By ID",
        "referenceTo": ["User"],
        "relationshipName": "CreatedBy",
        "updateable": False,
    },
    {
        "name": "LastModifiedDate",
        "type": "datetime",
        "label": "Last Modified Date",
        "createable": False,
        "updateable": False,
    },
    {
        "name": "LastModifiedById",
        "type": "reference",
        "label": "Last Modified By ID",
        "referenceTo": ["User"],
        "relationshipName": "LastModifiedBy",
        "createable": False,
        "updateable": False,
    },
    {
        "name": "SystemModstamp",
        "type": "datetime",
        "label": "System Modstamp",
        "createable": False,
        "updateable": False,
    },
]
_DEFAULT_LENGTHS = {"picklist": 255, "combobox": 255, "string": 255, "id": 18, "reference": 18}
_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "double": "xsd:double",
    "int": "xsd:int",
}


@dataclass(frozen=True)
class FieldDef:
    """One field as describe reports it, plus the emulator's write rules."""

    name: str
    type: str
    label: str
    length: int = 0
    nillable: bool = True
    external_id: bool = False
    unique: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    default: Any = None
    createable: bool = True
    updateable: bool = True
    calculated: bool = False
    polymorphic: bool = False
    defaults_to_current_user: bool = False
    id_lookup: bool = False

    @property
    def is_long_text(self) -> bool:
        """Long text area: selectable, but neither filterable nor sortable."""
        return self.type == "textarea" and self.length > 255

    @property
    def required(self) -> bool:
        """Must be given on create (not nillable, no default, not derived)."""
        return (
            not self.nillable
            and self.createable
            and not self.calculated
            and self.default is None
            and not self.defaults_to_current_user
            and self.type not in ("boolean", "id")
        )

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FieldDef:
        kind = raw["type"]
        calculated = raw.get("calculated", False)
        return cls(
            name=raw["name"],
            type=kind,
            label=raw["label"],
            length=raw.get("length", _DEFAULT_LENGTHS.get(kind, 0)),
            nillable=raw.get("nillable", kind != "boolean"),
            external_id=raw.get("externalId", False),
            unique=raw.get("unique", False),
            reference_to=tuple(raw.get("referenceTo", ())),
            relationship_name=raw.get("relationshipName"),
            picklist=tuple(raw.get("picklistValues", ())),
            restricted=raw.get("restrictedPicklist", False),
            default=raw.get("defaultValue"),
            createable=raw.get("createable", not calculated),
            updateable=raw.get("updateable", not calculated),
            calculated=calculated,
            polymorphic=raw.get("polymorphicForeignKey", False),
            defaults_to_current_user=raw.get("defaultsToCurrentUser", False),
            id_lookup=raw.get("idLookup", raw.get("externalId", False)),
        )

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "length": self.length if self.type not in ("boolean", "date", "datetime", "double", "int") else 0,
            "nillable": self.nillable,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.id_lookup,
            "referenceTo": list(self.reference_to),
            "relationshipName": self.relationship_name,
            "polymorphicForeignKey": self.polymorphic,
            "picklistValues": [
                {
                    "active": True,
                    "defaultValue": value == self.default,
                    "label": value,
                    "validFor": None,
                    "value": value,
                }
                for value in self.picklist
            ],
            "restrictedPicklist": self.restricted,
            "defaultValue": self.default,
            "defaultedOnCreate": self.default is not None or self.defaults_to_current_user,
            "createable": self.createable,
            "updateable": self.updateable,
            "calculated": self.calculated,
            "filterable": not self.is_long_text,
            "sortable": not self.is_long_text,
            "custom": self.name.endswith("__c"),
            "soapType": _SOAP_TYPES.get(self.type, "xsd:string"),
        }


@dataclass(frozen=True)
class ObjectDef:
    """One sObject type with case-insensitive field and relationship lookup."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    custom: bool
    deletable: bool
    fields: tuple[FieldDef, ...]
    _by_name: dict[str, FieldDef] = field(default_factory=dict, compare=False, repr=False)
    _by_relationship: dict[str, FieldDef] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for f in self.fields:
            self._by_name[f.name.lower()] = f
            if f.relationship_name:
                self._by_relationship[f.relationship_name.lower()] = f

    def field(self, name: str) -> FieldDef | None:
        return self._by_name.get(name.lower())

    def relationship(self, name: str) -> FieldDef | None:
        return self._by_relationship.get(name.lower())

    def urls(self, version: str) -> dict[str, str]:
        base = f"/services/data/v{version}/sobjects/{self.name}"
        return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}

    def summary(self, version: str) -> dict[str, Any]:
        """The entry of this object in the global describe."""
        return {
            "name": self.name,
            "label": self.label,
            "labelPlural": self.label_plural,
            "keyPrefix": self.key_prefix,
            "custom": self.custom,
            "createable": True,
            "updateable": True,
            "deletable": self.deletable,
            "queryable": True,
            "urls": self.urls(version),
        }

    def describe(self, version: str) -> dict[str, Any]:
        return {
            **self.summary(version),
            "fields": [f.describe() for f in self.fields],
            "childRelationships": [],
        }


class Schema:
    """All objects of the org, by name (case-insensitive) and by id key prefix."""

    def __init__(self, objects: list[ObjectDef]) -> None:
        self.objects = objects
        self._by_name = {o.name.lower(): o for o in objects}
        self._by_prefix = {o.key_prefix: o for o in objects}
        self.polymorphic = ObjectDef(
            POLYMORPHIC_OBJECT,
            "Name",
            "Names",
            "",
            False,
            False,
            (
                FieldDef("Id", "id", "Id", 18),
                FieldDef("Name", "string", "Name", 255),
                FieldDef("Type", "string", "Object Type", 40),
            ),
        )

    @classmethod
    def load(cls) -> Schema:
        """The reference org schema shipped in ``sandbox/data``."""
        raw = json.loads(resources.files("sandbox").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8"))
        objects = []
        for obj in raw["objects"]:
            fields = [
                FieldDef.from_json(f) for f in (_SYSTEM_FIELDS[:1] + obj["fields"] + _SYSTEM_FIELDS[1:])
            ]
            objects.append(
                ObjectDef(
                    obj["name"],
                    obj["label"],
                    obj["labelPlural"],
                    obj["keyPrefix"],
                    obj["custom"],
                    obj.get("deletable", True),
                    tuple(fields),
                )
            )
        return cls(objects)

    def get(self, name: str) -> ObjectDef | None:
        return self._by_name.get(name.lower())

    def put(self, obj: ObjectDef) -> None:
        """Add ``obj``, or replace the object of that name (an org whose setup differs)."""
        old = self._by_name.get(obj.name.lower())
        self.objects = [obj if o is old else o for o in self.objects] if old else [*self.objects, obj]
        self._by_name[obj.name.lower()] = obj
        self._by_prefix[obj.key_prefix] = obj

    def for_id(self, record_id: str) -> ObjectDef | None:
        return self._by_prefix.get(record_id[:3])

    def target(self, ref: FieldDef) -> ObjectDef:
        """The object a relationship leads to (the ``Name`` pseudo-object when polymorphic)."""
        if ref.polymorphic or len(ref.reference_to) != 1:
            return self.polymorphic
        target = self.get(ref.reference_to[0])
        assert target is not None, f"schema references unknown object {ref.reference_to[0]}"
        return target
