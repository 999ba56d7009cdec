"""The emulated portal's mutable state and the record operations every API shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.core import Clock, Outbox

from . import payload
from .associations import AssociationStore, registry
from .errors import ApiError, not_found, validation_error
from .owners import OwnerDirectory
from .portal import ObjectType, reference
from .store import ObjectStore, Record
from .timeutil import iso_ms
from .transactional import TransactionalEmail
from .validation import Validator

# (target object type, target id, association type ids seen from the new record)
InlineAssociation = tuple[str, str, list[int]]


@dataclass
class PreparedWrite:
    """A validated create or update, applied only once every input of a batch has been checked."""

    otype: ObjectType
    values: dict[str, str | None]
    record: Record | None = None  # None: create
    associations: list[InlineAssociation] = field(default_factory=list)


class PortalState:
    """Records, associations, owners and email sends of one emulated portal."""

    def __init__(self, outbox: Outbox, clock: Clock) -> None:
        self.ref = reference()
        self.clock = clock
        self.owners = OwnerDirectory(self.ref.teams)
        self.store = ObjectStore(self.ref)
        self.associations = AssociationStore(registry())
        self.validator = Validator(self.ref, self.owners)
        self.email = TransactionalEmail(outbox)

    def now(self) -> str:
        return iso_ms(self.clock())

    # -- lookups ---------------------------------------------------------------------------------

    def object_type(self, name: str) -> ObjectType:
        otype = self.ref.object_type(name)
        if otype is None:
            raise validation_error(f"Unable to infer object type from: {name}")
        return otype

    def record(
        self, otype: ObjectType, key: str, id_property: str | None = None, include_archived: bool = False
    ) -> Record:
        """The record with id ``key`` (or unique value ``key`` of ``id_property``); 404 when absent."""
        if id_property and id_property != "hs_object_id":
            if id_property not in otype.unique_properties:
                raise validation_error(
                    f"{id_property} is not a unique property of {otype.name}.", idProperty=[id_property]
                )
            found = self.store.find_unique(otype, id_property, key)
        else:
            found = self.store.get(otype, key, include_archived)
        if found is None:
            raise not_found("Object not found. objectId are usually numeric.", id=[key])
        return found

    def associated_ids(self, record: Record, to_type: str) -> set[str]:
        """Live ``to_type`` records associated with ``record`` (``to_type`` may be singular or plural)."""
        target = self.ref.object_type(to_type)
        if target is None:
            return set()
        return {
            to_id
            for to_id in self.associations.targets((record.type, record.id), target.name)
            if self.store.get(target, to_id) is not None
        }

    # -- writes ----------------------------------------------------------------------------------

    def prepare_create(
        self,
        otype: ObjectType,
        properties: Any,
        associations: Any = None,
        trusted: bool = False,
    ) -> PreparedWrite:
        """Validate a create (properties, unique values, inline associations) without storing anything.

        ``properties`` and ``associations`` are the raw JSON; ``trusted`` is sandbox seeding."""
        if otype.read_only and not trusted:
            raise read_only_error(otype)
        values = self.validator.normalize(otype, _properties(properties), trusted=trusted)
        self.store.check_unique(otype, values, None)
        return PreparedWrite(otype, values, None, self._inline_associations(otype, associations))

    def prepare_update(self, otype: ObjectType, record: Record, properties: Any) -> PreparedWrite:
        """Validate an update of ``record`` (raw JSON ``properties``) without applying it."""
        if otype.read_only:
            raise read_only_error(otype)
        values = self.validator.normalize(otype, _properties(properties), existing=record.properties)
        self.store.check_unique(otype, values, record.id)
        return PreparedWrite(otype, values, record)

    def apply(self, write: PreparedWrite) -> Record:
        """Store a prepared write (and its inline associations)."""
        if write.record is not None:
            return self.store.update(write.otype, write.record, write.values, self.now())
        record = self.store.create(write.otype, write.values, self.now())
        for to_type, to_id, type_ids in write.associations:
            self.associations.add((record.type, record.id), (to_type, to_id), type_ids)
        return record

    def _inline_associations(self, otype: ObjectType, raw: Any) -> list[InlineAssociation]:
        """Parse ``[{to: {id}, types: [{associationCategory, associationTypeId}]}]``; targets must exist."""
        parsed: list[InlineAssociation] = []
        for item in payload.objects(raw, "associations"):
            to_id = str(payload.obj(item.get("to"), "associations.to").get("id", ""))
            by_target: dict[str, list[int]] = {}
            for spec in payload.objects(item.get("types"), "associations.types"):
                kind = self.associations.kinds.kind(_int(spec.get("associationTypeId")))
                if spec.get("associationCategory") != "HUBSPOT_DEFINED" or kind is None:
                    raise validation_error(
                        f"{spec.get('associationCategory')} association type {spec.get('associationTypeId')} "
                        "is not defined in this portal.",
                    )
                if kind.from_type != otype.name:
                    raise validation_error(
                        f"association type {kind.type_id} ({kind.name}) cannot be used from {otype.singular}."
                    )
                if self.store.get(self.ref.object_types[kind.to_type], to_id) is None:
                    raise ApiError(
                        400,
                        "VALIDATION_ERROR",
                        f"{self.ref.object_types[kind.to_type].singular} {to_id} does not exist, "
                        "so it cannot be associated.",
                        context={"id": [to_id]},
                    )
                by_target.setdefault(kind.to_type, []).append(kind.type_id)
            if not by_target:
                raise validation_error("Each association needs at least one type.")
            parsed.extend((to_type, to_id, ids) for to_type, ids in by_target.items())
        return parsed

    # -- whole state -----------------------------------------------------------------------------

    def reset(self) -> None:
        self.owners.reset()
        self.store.reset()
        self.associations.restore([])
        self.email.reset()

    def snapshot(self) -> dict[str, Any]:
        return {
            "owners": self.owners.snapshot(),
            "objects": self.store.snapshot(),
            "associations": self.associations.snapshot(),
            "email": self.email.snapshot(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.owners.restore(state["owners"])
        self.store.restore(state["objects"])
        self.associations.restore(state["associations"])
        self.email.restore(state["email"])


def read_only_error(otype: ObjectType) -> ApiError:
    """What writes to a read-only object type (feedback submissions) answer."""
    return validation_error(
        f"{otype.name} is read-only through the public API: create, update and archive are not supported."
    )


def _properties(raw: Any) -> dict[str, Any]:
    values = payload.obj(raw, "properties")
    if any(isinstance(value, dict | list) for value in values.values()):
        raise payload.invalid("properties", "an object of property names to scalar values")
    return dict(values)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
