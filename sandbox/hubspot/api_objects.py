"""``crm/v3/objects/{type}``: basic CRUD, search and the batch endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.core import SandboxResponse

from . import payload, search
from .errors import ApiError, PropertyIssue, property_error, validation_error
from .portal import ObjectType
from .routing import Call, Router
from .state import PortalState, PreparedWrite, read_only_error
from .store import Record
from .views import batch_json, next_page, object_json

BASE = "/crm/v3/objects/{type}"
DEFAULT_PAGE = 10
MAX_PAGE = 100
MAX_BATCH = 100

Render = Callable[[PreparedWrite, Record], dict[str, Any]]


class ObjectsApi:
    """Handlers for one portal's CRM objects."""

    def __init__(self, state: PortalState) -> None:
        self.state = state

    def register(self, router: Router) -> None:
        router.add("GET", BASE, self.list_objects)
        router.add("POST", BASE, self.create_object)
        router.add("POST", BASE + "/search", self.search)
        for action in ("read", "create", "update", "upsert", "archive"):
            router.add("POST", f"{BASE}/batch/{action}", getattr(self, f"batch_{action}"))
        router.add("GET", BASE + "/{id}", self.get_object)
        router.add("PATCH", BASE + "/{id}", self.update_object)
        router.add("DELETE", BASE + "/{id}", self.archive_object)

    def _otype(self, call: Call) -> ObjectType:
        return self.state.object_type(call.params["type"])

    def _view(self, otype: ObjectType, record: Record, call: Call) -> dict[str, Any]:
        return object_json(
            self.state, otype, record, call.list_arg("properties"), call.list_arg("associations") or ()
        )

    # -- basic -----------------------------------------------------------------------------------

    def list_objects(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)
        limit = call.int_arg("limit", DEFAULT_PAGE, MAX_PAGE)
        records = self.state.store.archived(otype) if call.flag("archived") else self.state.store.live(otype)
        after = call.arg("after")
        if after:
            if not after.isdigit():
                raise validation_error(f"after must be a record id cursor; got {after!r}.")
            records = [r for r in records if int(r.id) >= int(after)]
        body: dict[str, Any] = {"results": [self._view(otype, r, call) for r in records[:limit]]}
        if len(records) > limit:
            body["paging"] = next_page(call.request.path, records[limit].id)
        return SandboxResponse(200, body)

    def get_object(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)
        record = self.state.record(otype, call.params["id"], call.arg("idProperty"), call.flag("archived"))
        return SandboxResponse(200, self._view(otype, record, call))

    def create_object(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)
        body = _object(call.json())
        record = self.state.apply(
            self.state.prepare_create(otype, body.get("properties"), body.get("associations"))
        )
        return SandboxResponse(201, object_json(self.state, otype, record, all_properties=True))

    def update_object(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)
        record = self.state.record(otype, call.params["id"], call.arg("idProperty"))
        write = self.state.prepare_update(otype, record, _object(call.json()).get("properties"))
        return SandboxResponse(
            200, object_json(self.state, otype, self.state.apply(write), all_properties=True)
        )

    def archive_object(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)
        if otype.read_only:
            raise read_only_error(otype)
        record = self.state.store.get(otype, call.params["id"])
        if record is not None:
            self.state.store.archive(record, self.state.now())
        return SandboxResponse(204)

    # -- search ----------------------------------------------------------------------------------

    def search(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)
        request = search.parse_request(call.json(), len(call.request.body.decode("utf-8", "replace")), otype)
        evaluator = search.Evaluator(otype, self.state.associated_ids)
        page, total, following = search.run(self.state.store.live(otype), request, evaluator)
        body: dict[str, Any] = {
            "total": total,
            "results": [object_json(self.state, otype, r, request.properties) for r in page],
        }
        if following is not None:
            body["paging"] = {"next": {"after": str(following)}}
        return SandboxResponse(200, body)

    # -- batch -----------------------------------------------------------------------------------

    def batch_read(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)
        body = _object(call.json())
        id_property = body.get("idProperty")
        properties = payload.strings(body.get("properties"), "properties")
        results, missing = [], []
        for item in _inputs(body):
            key = str(item.get("id", ""))
            try:
                record = self.state.record(otype, key, id_property, call.flag("archived"))
            except ApiError as error:
                if error.status != 404:
                    raise
                missing.append(key)
                continue
            results.append(object_json(self.state, otype, record, properties))
        errors = []
        if missing:
            message = (
                f"Could not get some {otype.singular.upper()} objects, they may be deleted or not exist. "
                "Check that ids are valid."
            )
            errors.append(ApiError(404, "OBJECT_NOT_FOUND", message, context={"ids": missing}))
        return SandboxResponse(207 if errors else 200, batch_json(results, errors, self.state.now()))

    def batch_create(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)

        def prepare(item: dict[str, Any]) -> PreparedWrite:
            return self.state.prepare_create(otype, item.get("properties"), item.get("associations"))

        return self._write_batch(_inputs(_object(call.json())), prepare, self._written, success=201)

    def batch_update(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)
        inputs = _inputs(_object(call.json()))
        _refuse_duplicates([str(i.get("id")) for i in inputs])

        def prepare(item: dict[str, Any]) -> PreparedWrite:
            record = self.state.record(otype, str(item.get("id", "")), item.get("idProperty"))
            return self.state.prepare_update(otype, record, item.get("properties"))

        return self._write_batch(inputs, prepare, self._written)

    def batch_upsert(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)
        inputs = _inputs(_object(call.json()))
        _refuse_duplicates([f"{i.get('idProperty')}={i.get('id')}" for i in inputs])

        def prepare(item: dict[str, Any]) -> PreparedWrite:
            id_property, key = item.get("idProperty"), item.get("id")
            if id_property not in otype.unique_properties or key in (None, ""):
                raise validation_error(
                    "Upsert inputs need idProperty naming a unique-value property and the id to match.",
                    idProperty=[str(id_property)],
                )
            existing = self.state.store.find_unique(otype, id_property, str(key))
            properties = payload.obj(item.get("properties"), "properties")
            if existing is not None:
                return self.state.prepare_update(otype, existing, properties)
            return self.state.prepare_create(otype, {**properties, id_property: key})

        def render(write: PreparedWrite, record: Record) -> dict[str, Any]:
            return {**self._written(write, record), "new": write.record is None}

        return self._write_batch(inputs, prepare, render)

    def batch_archive(self, call: Call) -> SandboxResponse:
        otype = self._otype(call)
        if otype.read_only:
            raise read_only_error(otype)
        for item in _inputs(_object(call.json())):
            record = self.state.store.get(otype, str(item.get("id", "")))
            if record is not None:
                self.state.store.archive(record, self.state.now())
        return SandboxResponse(204)

    def _written(self, write: PreparedWrite, record: Record) -> dict[str, Any]:
        return object_json(self.state, write.otype, record, all_properties=True)

    def _write_batch(
        self,
        inputs: list[dict[str, Any]],
        prepare: Callable[[dict[str, Any]], PreparedWrite],
        render: Render,
        success: int = 200,
    ) -> SandboxResponse:
        """All-or-nothing (400 on the first invalid input) unless inputs carry ``objectWriteTraceId``:
        then each input stands alone and failures come back as a 207 with per-input errors."""
        results: list[dict[str, Any]] = []
        errors: list[ApiError] = []
        if any(item.get("objectWriteTraceId") for item in inputs):
            for item in inputs:
                try:
                    write = prepare(item)
                    results.append(render(write, self.state.apply(write)))
                except ApiError as error:
                    error.context = {
                        **error.context,
                        "objectWriteTraceId": [str(item.get("objectWriteTraceId"))],
                    }
                    errors.append(error)
        else:
            writes = [prepare(item) for item in inputs]
            _refuse_repeated_unique_values(writes, self.state.ref.portal_id)
            results = [render(write, self.state.apply(write)) for write in writes]
        status = 207 if errors else success
        return SandboxResponse(status, batch_json(results, errors, self.state.now()))


def _object(raw: Any) -> dict[str, Any]:
    return payload.obj(raw, "the request body")


def _inputs(body: dict[str, Any]) -> list[dict[str, Any]]:
    if "inputs" not in body:
        raise validation_error("Invalid input JSON: inputs is required.")
    inputs = payload.objects(body["inputs"], "inputs")
    if len(inputs) > MAX_BATCH:
        raise validation_error(f"Batch input of {len(inputs)} exceeds the limit of {MAX_BATCH} inputs.")
    return inputs


def _refuse_duplicates(keys: list[str]) -> None:
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise validation_error(f"Duplicate IDs found in batch input: {repeated}.", ids=repeated)


def _refuse_repeated_unique_values(writes: list[PreparedWrite], portal_id: int) -> None:
    """Two inputs of one all-or-nothing batch may not claim the same unique value."""
    seen: set[tuple[str, str]] = set()
    for write in writes:
        for prop in write.otype.unique_properties:
            value = write.values.get(prop)
            if value is None:
                continue
            key = (prop, value.lower() if prop == "email" else value)
            if key in seen:
                issue = PropertyIssue(
                    prop, "DUPLICATE_VALUE", f"{value} appears twice in this batch for {prop}"
                )
                raise property_error([issue], portal_id)
            seen.add(key)
