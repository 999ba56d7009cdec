"""sObject Collections (``composite/sobjects``): batches of up to 200 with optional all-or-none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ApiError, SalesforceApiError
from .ids import normalize
from .schema import ObjectDef, Schema
from .sobjects import field_list, render
from .store import RecordStore
from .writes import MultipleMatches, RecordWriter

MAX_RECORDS = 200
ROLLED_BACK = ApiError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
    (),
)
Operation = Callable[[Any], dict[str, Any]]


class _RecordFailure(Exception):
    def __init__(self, error: ApiError, record_id: str | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.record_id = record_id


def _check_size(count: int) -> None:
    if count > MAX_RECORDS:
        raise SalesforceApiError.single(
            400,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        )


def _records(body: Any) -> tuple[list[Any], bool]:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise SalesforceApiError.single(
            400, "JSON_PARSER_ERROR", "The request body must contain a 'records' list"
        )
    _check_size(len(body["records"]))
    return body["records"], body.get("allOrNone") is True


class CompositeResources:
    def __init__(self, schema: Schema, store: RecordStore, writer: RecordWriter) -> None:
        self.schema = schema
        self.store = store
        self.writer = writer

    def create(self, body: Any, actor: str) -> list[dict[str, Any]]:
        records, all_or_none = _records(body)

        def one(record: Any) -> dict[str, Any]:
            obj = self._typed(record)
            return {"id": self.writer.create(obj, record, actor), "success": True, "errors": []}

        return self._run(records, all_or_none, one)

    def update(self, body: Any, actor: str) -> list[dict[str, Any]]:
        records, all_or_none = _records(body)

        def one(record: Any) -> dict[str, Any]:
            obj = self._typed(record)
            record_id = record.get("id") or record.get("Id")
            if not record_id:
                raise _RecordFailure(ApiError("MISSING_ARGUMENT", "Id not specified in an update call", ()))
            fields = {k: v for k, v in record.items() if k not in ("id", "Id")}
            try:
                self.writer.update(obj, str(record_id), fields, actor)
            except SalesforceApiError as error:
                raise _RecordFailure(error.errors[0], normalize(str(record_id))) from None
            return {"id": normalize(str(record_id)), "success": True, "errors": []}

        return self._run(records, all_or_none, one)

    def upsert(self, obj: ObjectDef, field_name: str, body: Any, actor: str) -> list[dict[str, Any]]:
        records, all_or_none = _records(body)
        field = self.writer.external_field(obj, field_name)

        def one(record: Any) -> dict[str, Any]:
            if self._typed(record) is not obj:
                raise _RecordFailure(ApiError("INVALID_TYPE", f"Record type must be {obj.name}", ()))
            value = record.get(field.name)
            if value in (None, ""):
                raise _RecordFailure(ApiError("MISSING_ARGUMENT", f"{field.name} not specified", ()))
            try:
                record_id, created = self.writer.upsert(obj, field.name, str(value), record, actor)
            except MultipleMatches as error:
                raise _RecordFailure(
                    ApiError(
                        "DUPLICATE_EXTERNAL_ID",
                        f"{field.name}: more than one record found for external id field: [{', '.join(error.record_ids)}]",
                        (field.name,),
                    )
                ) from None
            return {"id": record_id, "success": True, "errors": [], "created": created}

        return self._run(records, all_or_none, one)

    def delete(self, ids: list[str], all_or_none: bool, actor: str) -> list[dict[str, Any]]:
        _check_size(len(ids))

        def one(record_id: Any) -> dict[str, Any]:
            found = self.store.find(str(record_id))
            if found is None:
                raise _RecordFailure(
                    ApiError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ()), str(record_id)
                )
            try:
                self.writer.delete(found[0], str(record_id), actor)
            except SalesforceApiError as error:
                raise _RecordFailure(error.errors[0], found[1]["Id"]) from None
            return {"id": found[1]["Id"], "success": True, "errors": []}

        return self._run(ids, all_or_none, one)

    def retrieve(self, obj: ObjectDef, ids: list[str], fields: str | None, version: str) -> list[Any]:
        """``GET composite/sobjects/{Type}?ids=&fields=``: records in id order, null where not found."""
        _check_size(len(ids))
        names = field_list(obj, fields)
        if names is None:
            raise SalesforceApiError.single(400, "MISSING_ARGUMENT", "fields parameter is required")
        out: list[Any] = []
        for record_id in ids:
            found = self.store.find(record_id)
            live = found is not None and found[0] is obj and not found[1]["IsDeleted"]
            out.append(render(obj, found[1], version, names) if found is not None and live else None)
        return out

    def _typed(self, record: Any) -> ObjectDef:
        attributes = record.get("attributes") if isinstance(record, dict) else None
        type_name = attributes.get("type") if isinstance(attributes, dict) else None
        if not type_name:
            raise _RecordFailure(ApiError("INVALID_TYPE", "Must specify a type in the attributes map", ()))
        obj = self.schema.get(str(type_name))
        if obj is None:
            raise _RecordFailure(
                ApiError("INVALID_TYPE", f"sObject type '{type_name}' is not supported.", ())
            )
        return obj

    def _run(self, items: list[Any], all_or_none: bool, operation: Operation) -> list[dict[str, Any]]:
        """Apply ``operation`` to each item in order; with all-or-none, any failure undoes every success."""
        results: list[dict[str, Any]] = []
        with self.store.transaction():
            for item in items:
                try:
                    results.append(operation(item))
                except _RecordFailure as failure:
                    results.append(self._failure(failure.error, failure.record_id))
                except SalesforceApiError as error:
                    results.append(self._failure(error.errors[0], None))
            if all_or_none and not all(r["success"] for r in results):
                self.store.rollback()
                results = [self._rolled_back(r) if r["success"] else r for r in results]
        return results

    def _rolled_back(self, result: dict[str, Any]) -> dict[str, Any]:
        """A success undone by all-or-none; keeps the id only when the record still exists (update)."""
        record_id = result.get("id")
        return self._failure(ROLLED_BACK, record_id if record_id and self.store.find(record_id) else None)

    @staticmethod
    def _failure(error: ApiError, record_id: str | None) -> dict[str, Any]:
        result: dict[str, Any] = {"success": False, "errors": [error.as_result()]}
        if record_id:
            result = {"id": record_id, **result}
        return result
