"""Checks a parsed query against the schema: canonical names, filterability and literal types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..ids import normalize
from ..schema import FieldDef, ObjectDef, Schema
from ..values import TEXT_TYPES, format_datetime, parse_date, parse_datetime
from .errors import SoqlError
from .syntax import BoolOp, Comparison, Condition, Literal, Not, Path, Query

MAX_PATH_LEVELS = 5
_NUMBER_TYPES = frozenset({"double", "int", "currency", "percent"})
_ID_TYPES = frozenset({"id", "reference"})


@dataclass(frozen=True)
class BoundPath:
    """A resolved path: the reference fields walked, then the final field of the final object."""

    steps: tuple[FieldDef, ...]
    objects: tuple[ObjectDef, ...]  # the object after each step
    field: FieldDef

    @property
    def names(self) -> tuple[str, ...]:
        """Canonical names as they appear in results (relationship names, then the field name)."""
        return (*(str(s.relationship_name) for s in self.steps), self.field.name)


@dataclass(frozen=True)
class Relative:
    """A relative date literal such as ``LAST_N_DAYS:7``, resolved against the clock at run time."""

    keyword: str
    n: int


@dataclass(frozen=True)
class BoundComparison:
    path: BoundPath
    op: str
    value: Any  # a stored-form value, a tuple of them (IN), a LIKE pattern or a Relative


@dataclass(frozen=True)
class BoundBool:
    op: str
    items: tuple[BoundCondition, ...]


@dataclass(frozen=True)
class BoundNot:
    item: BoundCondition


BoundCondition = BoundComparison | BoundBool | BoundNot


@dataclass(frozen=True)
class BoundOrder:
    path: BoundPath
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class BoundQuery:
    obj: ObjectDef
    fields: tuple[BoundPath, ...]
    count: bool
    where: BoundCondition | None
    order_by: tuple[BoundOrder, ...]
    limit: int | None
    offset: int | None

    @property
    def long_text_fields(self) -> int:
        """How many selected fields are long text areas (two or more cap batches at 200)."""
        return sum(1 for f in self.fields if f.field.is_long_text)


def bind(query: Query, schema: Schema) -> BoundQuery:
    """Resolve ``query``; raises ``SoqlError`` with INVALID_TYPE / INVALID_FIELD / MALFORMED_QUERY."""
    obj = schema.get(query.sobject)
    if obj is None:
        raise SoqlError(
            "INVALID_TYPE",
            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a custom object, be "
            "sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for "
            "the appropriate names.",
            query.sobject_offset,
        )
    binder = _Binder(schema, obj)
    fields: list[BoundPath] = []
    for path in query.fields:
        bound = binder.path(path)
        if bound.names not in [f.names for f in fields]:
            fields.append(bound)
    if query.offset is not None and query.offset > 2000:
        raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE", "Maximum SOQL offset allowed is 2000")
    return BoundQuery(
        obj,
        tuple(fields),
        query.count,
        binder.condition(query.where) if query.where else None,
        tuple(BoundOrder(binder.sortable(o.path), o.descending, o.nulls_last) for o in query.order_by),
        query.limit,
        query.offset,
    )


class _Binder:
    def __init__(self, schema: Schema, obj: ObjectDef) -> None:
        self.schema = schema
        self.obj = obj

    def path(self, path: Path) -> BoundPath:
        parts = list(path.parts)
        if (
            len(parts) > 1
            and parts[0].lower() == self.obj.name.lower()
            and not self.obj.relationship(parts[0])
        ):
            parts = parts[1:]
        if len(parts) > MAX_PATH_LEVELS:
            raise SoqlError(
                "MALFORMED_QUERY",
                f"{path.text}: SOQL statements cannot query more than {MAX_PATH_LEVELS} levels of relationships",
                path.offset,
            )
        current = self.obj
        steps: list[FieldDef] = []
        objects: list[ObjectDef] = []
        for part in parts[:-1]:
            ref = current.relationship(part)
            if ref is None:
                raise SoqlError(
                    "INVALID_FIELD",
                    f"Didn't understand relationship '{part}' in field path. If you are attempting to use a custom "
                    "relationship, be sure to append the '__r' after the custom relationship name. Please "
                    "reference your WSDL or the describe call for the appropriate names.",
                    path.offset,
                )
            current = self.schema.target(ref)
            steps.append(ref)
            objects.append(current)
        field = current.field(parts[-1])
        if field is None:
            raise SoqlError(
                "INVALID_FIELD",
                f"No such column '{parts[-1]}' on entity '{current.name}'. If you are attempting to use a custom "
                "field, be sure to append the '__c' after the custom field name. Please reference your WSDL or "
                "the describe call for the appropriate names.",
                path.offset,
            )
        return BoundPath(tuple(steps), tuple(objects), field)

    def sortable(self, path: Path) -> BoundPath:
        bound = self.path(path)
        if bound.field.is_long_text:
            raise SoqlError(
                "INVALID_FIELD", f"field '{bound.field.name}' can not be sorted in a query call", path.offset
            )
        return bound

    def condition(self, cond: Condition) -> BoundCondition:
        if isinstance(cond, BoolOp):
            return BoundBool(cond.op, tuple(self.condition(c) for c in cond.items))
        if isinstance(cond, Not):
            return BoundNot(self.condition(cond.item))
        return self.comparison(cond)

    def comparison(self, cond: Comparison) -> BoundComparison:
        path = self.path(cond.path)
        field = path.field
        if field.is_long_text:
            raise SoqlError(
                "INVALID_FIELD", f"field '{field.name}' can not be filtered in query call", cond.path.offset
            )
        if cond.op == "LIKE":
            if field.type not in TEXT_TYPES and field.type not in _ID_TYPES:
                raise SoqlError(
                    "INVALID_FIELD", f"invalid operator on {field.type} field: {field.name}", cond.path.offset
                )
            assert isinstance(cond.value, Literal)
            return BoundComparison(path, "LIKE", cond.value.value)
        if isinstance(cond.value, tuple):
            values = tuple(self.literal(field, v, in_list=True) for v in cond.value)
            return BoundComparison(path, cond.op, values)
        return BoundComparison(path, cond.op, self.literal(field, cond.value, in_list=False))

    def literal(self, field: FieldDef, literal: Literal, in_list: bool) -> Any:
        kind = literal.kind
        if kind == "null":
            return None
        if field.type == "boolean":
            if kind == "boolean":
                return literal.value
            raise self._type_error(field, "boolean", literal)
        if field.type in ("date", "datetime"):
            return self._temporal(field, literal, in_list)
        if field.type in _NUMBER_TYPES:
            if kind == "number":
                return literal.value
            raise self._type_error(field, "double", literal)
        if kind != "string":
            raise SoqlError(
                "INVALID_FIELD",
                f"value of filter criterion for field '{field.name}' must be of type string and should be "
                "enclosed in quotes",
                literal.offset,
            )
        if field.type in _ID_TYPES:
            full = normalize(literal.value)
            if full is None:
                raise SoqlError(
                    "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {literal.value}", literal.offset
                )
            return full
        return literal.value.replace("\\%", "%").replace("\\_", "_")

    def _temporal(self, field: FieldDef, literal: Literal, in_list: bool) -> Any:
        if literal.kind == "relative" and not in_list:
            keyword, n = literal.value
            return Relative(keyword, n)
        if field.type == "date" and literal.kind == "date" and parse_date(literal.value):
            return literal.value
        if field.type == "datetime" and literal.kind == "datetime":
            moment = parse_datetime(literal.value)
            if moment is not None:
                return format_datetime(moment)
        raise self._type_error(field, "date" if field.type == "date" else "dateTime", literal)

    @staticmethod
    def _type_error(field: FieldDef, type_name: str, literal: Literal) -> SoqlError:
        return SoqlError(
            "INVALID_FIELD",
            f"value of filter criterion for field '{field.name}' must be of type {type_name} and should not be "
            "enclosed in quotes",
            literal.offset,
        )
