"""Associations v4: ``crm/v4/objects/{type}/{id}/associations/...`` and ``crm/v4/associations/.../batch``."""

from __future__ import annotations

from typing import Any

from sandbox.core import SandboxResponse

from . import payload
from .associations import AssociationKind
from .errors import ApiError, not_found, validation_error
from .portal import ObjectType
from .routing import Call, Router
from .state import PortalState
from .views import batch_json, next_page

OBJECT = "/crm/v4/objects/{type}/{id}/associations"
BATCH = "/crm/v4/associations/{type}/{to}/batch"
DEFAULT_PAGE = 500
MAX_PAGE = 500
MAX_BATCH = 1000


class AssociationsApi:
    """Handlers for associations between records."""

    def __init__(self, state: PortalState) -> None:
        self.state = state

    def register(self, router: Router) -> None:
        router.add("GET", OBJECT + "/{to}", self.list_associations)
        router.add("PUT", OBJECT + "/{to}/{toId}", self.create_labelled)
        router.add("DELETE", OBJECT + "/{to}/{toId}", self.archive)
        router.add("PUT", OBJECT + "/default/{to}/{toId}", self.create_default)
        router.add("POST", BATCH + "/create", self.batch_create)
        router.add("POST", BATCH + "/read", self.batch_read)
        router.add("POST", BATCH + "/associate/default", self.batch_default)
        router.add("POST", BATCH + "/archive", self.batch_archive)

    # -- helpers ---------------------------------------------------------------------------------

    def _types(self, call: Call) -> tuple[ObjectType, ObjectType]:
        return self.state.object_type(call.params["type"]), self.state.object_type(call.params["to"])

    def _require(self, otype: ObjectType, record_id: str) -> str:
        if self.state.store.get(otype, record_id) is None:
            raise not_found(f"No {otype.singular} with id {record_id} exists.", id=[record_id])
        return record_id

    def _kinds(self, specs: Any, from_type: ObjectType, to_type: ObjectType) -> list[AssociationKind]:
        """Parse ``[{associationCategory, associationTypeId}]``; each must link these object types."""
        specs = payload.objects(specs, "association types")
        if not specs:
            raise validation_error("A non-empty list of association types is required.")
        kinds = []
        for spec in specs:
            type_id = spec.get("associationTypeId")
            kind = self.state.associations.kinds.kind(int(str(type_id))) if str(type_id).isdigit() else None
            if (
                spec.get("associationCategory") != "HUBSPOT_DEFINED"
                or kind is None
                or (kind.from_type, kind.to_type) != (from_type.name, to_type.name)
            ):
                raise validation_error(
                    f"{spec.get('associationCategory')} {type_id} is not a valid association type "
                    f"from {from_type.singular} to {to_type.singular}."
                )
            kinds.append(kind)
        return kinds

    def _pair_json(
        self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str
    ) -> dict[str, Any]:
        """``LabelsBetweenObjectPair`` for the pair as it now stands."""
        type_ids = self.state.associations.types((from_type.name, from_id), (to_type.name, to_id))
        kinds = [self.state.associations.kinds.kinds[t] for t in type_ids]
        return {
            "fromObjectTypeId": from_type.type_id,
            "fromObjectId": int(from_id),
            "toObjectTypeId": to_type.type_id,
            "toObjectId": int(to_id),
            "labels": [k.label for k in kinds if k.label],
        }

    def _targets(
        self, from_type: ObjectType, from_id: str, to_type: ObjectType
    ) -> list[tuple[str, list[int]]]:
        """Live associated records with their type ids, in id order."""
        targets = self.state.associations.targets((from_type.name, from_id), to_type.name)
        return [
            (to_id, ids) for to_id, ids in targets.items() if self.state.store.get(to_type, to_id) is not None
        ]

    def _target_json(self, to_id: str, type_ids: list[int]) -> dict[str, Any]:
        kinds = self.state.associations.kinds.kinds
        return {"toObjectId": int(to_id), "associationTypes": [kinds[t].spec() for t in type_ids]}

    def _default(
        self, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str
    ) -> list[dict[str, Any]]:
        """Create the default association; the results list both directions."""
        kind = self.state.associations.kinds.default(from_type.name, to_type.name)
        if kind is None:
            raise validation_error(
                f"No default association exists from {from_type.singular} to {to_type.singular}."
            )
        self.state.associations.add((from_type.name, from_id), (to_type.name, to_id), [kind.type_id])
        reverse = self.state.associations.kinds.reverse[kind.type_id]
        return [
            {"from": {"id": from_id}, "to": {"id": to_id}, "associationSpec": _spec(kind.type_id)},
            {"from": {"id": to_id}, "to": {"id": from_id}, "associationSpec": _spec(reverse)},
        ]

    # -- single ----------------------------------------------------------------------------------

    def list_associations(self, call: Call) -> SandboxResponse:
        from_type, to_type = self._types(call)
        from_id = self._require(from_type, call.params["id"])
        limit = call.int_arg("limit", DEFAULT_PAGE, MAX_PAGE)
        targets = self._targets(from_type, from_id, to_type)
        after = call.arg("after")
        if after and after.isdigit():
            targets = [t for t in targets if int(t[0]) >= int(after)]
        body: dict[str, Any] = {"results": [self._target_json(to_id, ids) for to_id, ids in targets[:limit]]}
        if len(targets) > limit:
            body["paging"] = next_page(call.request.path, targets[limit][0])
        return SandboxResponse(200, body)

    def create_labelled(self, call: Call) -> SandboxResponse:
        from_type, to_type = self._types(call)
        from_id = self._require(from_type, call.params["id"])
        to_id = self._require(to_type, call.params["toId"])
        kinds = self._kinds(call.json(), from_type, to_type)
        self.state.associations.add(
            (from_type.name, from_id), (to_type.name, to_id), [k.type_id for k in kinds]
        )
        return SandboxResponse(201, self._pair_json(from_type, from_id, to_type, to_id))

    def create_default(self, call: Call) -> SandboxResponse:
        from_type, to_type = self._types(call)
        from_id = self._require(from_type, call.params["id"])
        to_id = self._require(to_type, call.params["toId"])
        results = self._default(from_type, from_id, to_type, to_id)
        return SandboxResponse(200, batch_json(results, [], self.state.now()))

    def archive(self, call: Call) -> SandboxResponse:
        from_type, to_type = self._types(call)
        self.state.associations.remove(
            (from_type.name, call.params["id"]), (to_type.name, call.params["toId"])
        )
        return SandboxResponse(204)

    # -- batch -----------------------------------------------------------------------------------

    def batch_create(self, call: Call) -> SandboxResponse:
        from_type, to_type = self._types(call)
        results, errors = [], []
        for item in _inputs(call):
            try:
                from_id = self._require(from_type, _id(item.get("from")))
                to_id = self._require(to_type, _id(item.get("to")))
                kinds = self._kinds(item.get("types"), from_type, to_type)
            except ApiError as error:
                errors.append(error)
                continue
            pair = ((from_type.name, from_id), (to_type.name, to_id))
            self.state.associations.add(*pair, [k.type_id for k in kinds])
            results.append(self._pair_json(from_type, from_id, to_type, to_id))
        return SandboxResponse(207 if errors else 201, batch_json(results, errors, self.state.now()))

    def batch_read(self, call: Call) -> SandboxResponse:
        from_type, to_type = self._types(call)
        results, errors = [], []
        for item in _inputs(call):
            from_id = _id(item)
            targets = self._targets(from_type, from_id, to_type)
            if not targets or self.state.store.get(from_type, from_id) is None:
                errors.append(
                    ApiError(
                        404,
                        "OBJECT_NOT_FOUND",
                        f"No {to_type.singular} is associated with {from_type.singular} {from_id}.",
                        sub_category="crm.associations.NO_ASSOCIATIONS_FOUND",
                        context={"fromObjectId": [from_id]},
                    )
                )
                continue
            results.append({"from": {"id": from_id}, "to": [self._target_json(t, ids) for t, ids in targets]})
        return SandboxResponse(207 if errors else 200, batch_json(results, errors, self.state.now()))

    def batch_default(self, call: Call) -> SandboxResponse:
        from_type, to_type = self._types(call)
        results: list[dict[str, Any]] = []
        for item in _inputs(call):
            from_id = self._require(from_type, _id(item.get("from")))
            to_id = self._require(to_type, _id(item.get("to")))
            results.extend(self._default(from_type, from_id, to_type, to_id))
        return SandboxResponse(200, batch_json(results, [], self.state.now()))

    def batch_archive(self, call: Call) -> SandboxResponse:
        from_type, to_type = self._types(call)
        for item in _inputs(call):
            for target in payload.items(item.get("to"), "to"):
                self.state.associations.remove(
                    (from_type.name, _id(item.get("from"))), (to_type.name, _id(target))
                )
        return SandboxResponse(204)


def _spec(type_id: int) -> dict[str, Any]:
    return {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}


def _id(raw: Any) -> str:
    return str(raw.get("id", "")) if isinstance(raw, dict) else ""


def _inputs(call: Call) -> list[dict[str, Any]]:
    inputs = payload.objects(payload.obj(call.json(), "the request body").get("inputs"), "inputs")
    if len(inputs) > MAX_BATCH:
        raise validation_error(f"Batch input of {len(inputs)} exceeds the limit of {MAX_BATCH} inputs.")
    return inputs
