"""Record writes (create, update, upsert, delete) with Salesforce validation and audit stamping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .errors import ApiError, SalesforceApiError
from .ids import normalize
from .rich_text import normalize_rich_text
from .schema import AUDIT_FIELDS, FieldDef, ObjectDef, Schema
from .settings import SalesforceSettings
from .store import Record, RecordStore
from .values import InvalidValue, coerce, format_datetime


class MultipleMatches(Exception):
    """An external id matched several records (HTTP 300)."""

    def __init__(self, obj: ObjectDef, record_ids: list[str]) -> None:
        super().__init__(f"{len(record_ids)} {obj.name} records match")
        self.obj = obj
        self.record_ids = record_ids


def _bad(*errors: ApiError) -> SalesforceApiError:
    return SalesforceApiError(400, *errors)


def _same(a: Any, b: Any) -> bool:
    """Salesforce text equality (case-insensitive)."""
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return bool(a == b)


class RecordWriter:
    """Applies DML to a ``RecordStore`` the way the REST API does, stamping times from ``clock``."""

    def __init__(
        self,
        schema: Schema,
        store: RecordStore,
        clock: Callable[[], datetime],
        org: SalesforceSettings | None = None,
    ) -> None:
        self.schema = schema
        self.store = store
        self.clock = clock
        self.org = org or SalesforceSettings()
        #: Upserts that lose a race to a concurrent upsert of the same external id (``race_upserts``).
        self.races = 0

    def object(self, name: str) -> ObjectDef:
        obj = self.schema.get(name)
        if obj is None:
            raise SalesforceApiError.not_found()
        return obj

    def create(self, obj: ObjectDef, body: Any, actor: str | None) -> str:
        """Insert a record; ``actor`` None stamps the record as created by itself (seeding the first user)."""
        values = self._values(obj, body, creating=True)
        now = format_datetime(self.clock())
        record: Record = {f.name: self._default(f, actor) for f in obj.fields}
        record.update(values)
        record.update(IsDeleted=False, LastModifiedDate=now, LastModifiedById=actor, SystemModstamp=now)
        record["CreatedDate"] = record["CreatedDate"] or now
        record["CreatedById"] = record["CreatedById"] or actor
        self._derive(obj, record)
        self._validate(obj, record, changed=set(record))
        record["Id"] = self.store.new_id(obj)
        if actor is None:
            record["CreatedById"] = record["CreatedById"] or record["Id"]
            record["LastModifiedById"] = record["Id"]
        self.store.put(obj, record)
        return str(record["Id"])

    def update(self, obj: ObjectDef, record_id: str, body: Any, actor: str) -> None:
        current = self._live(obj, record_id)
        if isinstance(body, dict) and _same(body.get("Id"), current["Id"]):
            body = {k: v for k, v in body.items() if k != "Id"}
        values = self._values(obj, body, creating=False)
        record = {**current, **values}
        now = format_datetime(self.clock())
        record.update(LastModifiedDate=now, LastModifiedById=actor, SystemModstamp=now)
        self._derive(obj, record)
        self._validate(obj, record, changed=set(values))
        self.store.put(obj, record)

    def delete(self, obj: ObjectDef, record_id: str, actor: str) -> None:
        if not obj.deletable:
            raise _bad(ApiError("INVALID_TYPE_FOR_OPERATION", "entity type cannot be deleted"))
        current = self._live(obj, record_id)
        now = format_datetime(self.clock())
        self.store.put(
            obj,
            {
                **current,
                "IsDeleted": True,
                "LastModifiedDate": now,
                "LastModifiedById": actor,
                "SystemModstamp": now,
            },
        )

    def external_field(self, obj: ObjectDef, name: str) -> FieldDef:
        field = obj.field(name)
        if field is None or not (field.external_id or field.name == "Id"):
            raise SalesforceApiError.not_found(
                f"Provided external ID field does not exist or is not accessible: {name}"
            )
        return field

    def find_external(self, obj: ObjectDef, field: FieldDef, value: str) -> list[Record]:
        """Live records whose external id (or Id) equals ``value``."""
        if field.name == "Id":
            full = normalize(value)
            found = self.store.find(full) if full else None
            return [found[1]] if found and found[0] is obj and not found[1]["IsDeleted"] else []
        return [r for r in self.store.rows(obj) if r[field.name] is not None and _same(r[field.name], value)]

    def upsert(
        self, obj: ObjectDef, field_name: str, value: str, body: Any, actor: str, update_only: bool = False
    ) -> tuple[str, bool]:
        """Update the one record whose external id is ``value`` or create it; returns (id, created)."""
        field = self.external_field(obj, field_name)
        matches = self.find_external(obj, field, value)
        if self.races > 0 and field.name != "Id" and isinstance(body, dict):
            self.races -= 1
            self._lose_race(obj, field, value, body, actor, matches)
        if len(matches) > 1:
            raise MultipleMatches(obj, [r["Id"] for r in matches])
        if matches:
            self.update(obj, matches[0]["Id"], body, actor)
            return matches[0]["Id"], False
        if update_only or field.name == "Id":
            raise SalesforceApiError.not_found()
        if not isinstance(body, dict):
            raise _bad(ApiError("JSON_PARSER_ERROR", "Request body must be a JSON object", ()))
        return self.create(obj, {**body, field.name: value}, actor), True

    def _lose_race(
        self, obj: ObjectDef, field: FieldDef, value: str, body: dict[str, Any], actor: str, matches: list[Record]
    ) -> None:
        """A concurrent upsert of the same external id inserted first: this one answers DUPLICATE_VALUE
        (salesforce.stackexchange.com/questions/197382) and the other's record stays."""
        winner = matches[0]["Id"] if matches else self.create(obj, {**body, field.name: value}, actor)
        raise _bad(
            ApiError(
                "DUPLICATE_VALUE",
                f"duplicate value found: {field.name} duplicates value on record with id: {winner}",
                (),
            )
        )

    def _live(self, obj: ObjectDef, record_id: str) -> Record:
        found = self.store.find(record_id)
        if found is None or found[0] is not obj:
            raise SalesforceApiError.not_found()
        if found[1]["IsDeleted"]:
            raise SalesforceApiError.single(404, "ENTITY_IS_DELETED", "entity is deleted", ())
        return found[1]

    def _default(self, field: FieldDef, actor: str | None) -> Any:
        if field.defaults_to_current_user:
            return actor
        if field.default is not None:
            return field.default
        return False if field.type == "boolean" else None

    def _values(self, obj: ObjectDef, body: Any, creating: bool) -> Record:
        if not isinstance(body, dict):
            raise _bad(
                ApiError(
                    "JSON_PARSER_ERROR", "Cannot deserialize instance of sObject from a non-object value", ()
                )
            )
        values: Record = {}
        locked: list[str] = []
        for key, raw in body.items():
            if key == "attributes":
                continue
            field = obj.field(key)
            if field is None:
                raise _bad(
                    ApiError("INVALID_FIELD", f"No such column '{key}' on sobject of type {obj.name}", ())
                )
            if field.name == "Id" and creating:
                raise _bad(
                    ApiError(
                        "INVALID_FIELD_FOR_INSERT_UPDATE",
                        "Record ID: cannot specify Id in an insert call",
                        ("Id",),
                    )
                )
            allowed = (field.createable or field.name in AUDIT_FIELDS) if creating else field.updateable
            if not allowed:
                locked.append(field.name)
                continue
            try:
                values[field.name] = coerce(field, raw)
            except InvalidValue as invalid:
                raise _bad(invalid.error) from None
        if locked:
            names = ", ".join(locked)
            raise _bad(
                ApiError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {names}. Please check the security settings of this field "
                    "and verify that it is Read/Write for your profile or permission set.",
                    tuple(locked),
                )
            )
        return values

    def _derive(self, obj: ObjectDef, record: Record) -> None:
        if obj.name in ("User", "Contact"):
            record["Name"] = " ".join(p for p in (record["FirstName"], record["LastName"]) if p) or None
        if obj.name == "Task":
            record["IsClosed"] = record["Status"] == "Completed"
        if obj.name == "FeedItem" and record.get("IsRichText") and isinstance(record.get("Body"), str):
            record["Body"] = normalize_rich_text(record["Body"])

    def _validate(self, obj: ObjectDef, record: Record, changed: set[str]) -> None:
        missing = [f.name for f in obj.fields if f.required and record.get(f.name) in (None, "")]
        if obj.name == "FeedItem" and record["Type"] == "TextPost" and not record["Body"]:
            missing.append("Body")
        if obj.name == "FeedItem" and "ParentId" in changed:
            self._check_feed_tracking(record.get("ParentId"))
        if missing:
            raise _bad(
                ApiError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(missing)}]",
                    tuple(missing),
                )
            )
        for field in obj.fields:
            value = record.get(field.name)
            if field.name not in changed or value is None or field.name == "Id":
                continue
            if field.restricted and value not in field.picklist:
                raise _bad(
                    ApiError(
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        f"{field.label}: bad value for restricted picklist field: {value}",
                        (field.name,),
                    )
                )
            if field.type == "reference":
                record[field.name] = self._reference(obj, field, value)
            if field.unique:
                self._check_unique(obj, field, record)

    def _check_feed_tracking(self, parent: Any) -> None:
        """Posts go only on records of objects with feed tracking on (Setup > Feed Tracking)."""
        target = self.schema.for_id(normalize(str(parent)) or "") if parent else None
        if target is not None and target.name in self.org.feed_tracking_off:
            raise _bad(
                ApiError(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"Parent ID: id value of incorrect type: {parent} (feed tracking is off for {target.name})",
                    ("ParentId",),
                )
            )

    def _reference(self, obj: ObjectDef, field: FieldDef, value: str) -> str:
        full = normalize(value)
        if full is None:
            raise _bad(
                ApiError("MALFORMED_ID", f"{field.label}: id value of incorrect type: {value}", (field.name,))
            )
        target = self.schema.for_id(full)
        if target is None or target.name not in field.reference_to:
            raise _bad(
                ApiError(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{field.label}: id value of incorrect type: {value}",
                    (field.name,),
                )
            )
        found = self.store.find(full)
        if found is None:
            raise _bad(ApiError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ()))
        if found[1]["IsDeleted"]:
            raise _bad(ApiError("ENTITY_IS_DELETED", "entity is deleted", ()))
        if field.name == "OwnerId" and found[1].get("IsActive") is False:
            raise _bad(
                ApiError(
                    "INACTIVE_OWNER_OR_USER",
                    f"operation performed with inactive user [{full}] as owner of {obj.name.lower()}",
                    (),
                )
            )
        return full

    def _check_unique(self, obj: ObjectDef, field: FieldDef, record: Record) -> None:
        for other in self.store.rows(obj):
            if (
                other["Id"] != record["Id"]
                and other[field.name] is not None
                and _same(other[field.name], record[field.name])
            ):
                raise _bad(
                    ApiError(
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {field.name} duplicates value on record with id: {other['Id']}",
                        (),
                    )
                )
