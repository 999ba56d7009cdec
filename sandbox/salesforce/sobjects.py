"""The ``sobjects`` resources: global and object describe, single-record CRUD, external-id access."""

from __future__ import annotations

from typing import Any

from ..core import SandboxResponse
from .errors import SalesforceApiError
from .schema import ObjectDef, Schema
from .store import Record, RecordStore
from .values import record_url
from .writes import MultipleMatches, RecordWriter


def render(obj: ObjectDef, record: Record, version: str, fields: list[str] | None = None) -> dict[str, Any]:
    """A record as the REST API shows it: ``attributes``, then the fields (all, or those asked for)."""
    names = fields if fields is not None else [f.name for f in obj.fields]
    out: dict[str, Any] = {
        "attributes": {"type": obj.name, "url": record_url(version, obj.name, record["Id"])}
    }
    out.update({name: record.get(name) for name in names})
    return out


def field_list(obj: ObjectDef, param: str | None) -> list[str] | None:
    """Canonical names for a ``fields=`` parameter (always including Id), or None for all fields."""
    if not param:
        return None
    names = []
    for raw in (p.strip() for p in param.split(",") if p.strip()):
        field = obj.field(raw)
        if field is None:
            raise SalesforceApiError.single(
                400,
                "INVALID_FIELD",
                f"No such column '{raw}' on entity '{obj.name}'. If you are attempting to use a custom field, "
                "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
                "describe call for the appropriate names.",
            )
        names.append(field.name)
    return list(dict.fromkeys([*names, "Id"]))


def multiple_choices(error: MultipleMatches, version: str) -> SandboxResponse:
    """HTTP 300 with the URLs of every matching record."""
    return SandboxResponse(300, [record_url(version, error.obj.name, i) for i in error.record_ids])


class SObjectResources:
    def __init__(self, schema: Schema, store: RecordStore, writer: RecordWriter) -> None:
        self.schema = schema
        self.store = store
        self.writer = writer

    def global_describe(self, version: str) -> dict[str, Any]:
        return {
            "encoding": "UTF-8",
            "maxBatchSize": 200,
            "sobjects": [o.summary(version) for o in self.schema.objects],
        }

    def basic_info(self, obj: ObjectDef, version: str) -> dict[str, Any]:
        return {"objectDescribe": obj.summary(version), "recentItems": []}

    def create(self, obj: ObjectDef, body: Any, actor: str) -> SandboxResponse:
        record_id = self.writer.create(obj, body, actor)
        return SandboxResponse(201, {"id": record_id, "success": True, "errors": []})

    def get(self, obj: ObjectDef, record_id: str, fields: str | None, version: str) -> dict[str, Any]:
        found = self.store.find(record_id)
        if found is None or found[0] is not obj or found[1]["IsDeleted"]:
            raise SalesforceApiError.not_found()
        return render(obj, found[1], version, field_list(obj, fields))

    def get_by_external(
        self, obj: ObjectDef, field_name: str, value: str, fields: str | None, version: str
    ) -> SandboxResponse:
        field = self.writer.external_field(obj, field_name)
        matches = self.writer.find_external(obj, field, value)
        if len(matches) > 1:
            return multiple_choices(MultipleMatches(obj, [r["Id"] for r in matches]), version)
        if not matches:
            raise SalesforceApiError.not_found()
        return SandboxResponse(200, render(obj, matches[0], version, field_list(obj, fields)))

    def upsert(
        self,
        obj: ObjectDef,
        field_name: str,
        value: str,
        body: Any,
        actor: str,
        update_only: bool,
        version: str,
    ) -> SandboxResponse:
        try:
            record_id, created = self.writer.upsert(obj, field_name, value, body, actor, update_only)
        except MultipleMatches as error:
            return multiple_choices(error, version)
        result = {"id": record_id, "success": True, "errors": [], "created": created}
        return SandboxResponse(201 if created else 200, result)
