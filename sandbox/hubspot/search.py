"""The CRM search API's request rules, filter evaluation, sorting and offset paging."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import payload
from .errors import ApiError, validation_error
from .portal import ObjectType
from .store import Record
from .timeutil import parse_instant

MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
MAX_FILTERS = 18
DEFAULT_LIMIT = 10
MAX_LIMIT = 200
MAX_RESULTS = 10_000
MAX_BODY_CHARS = 3_000
ASSOCIATION_PREFIX = "associations."
OPERATORS = {
    "EQ", "NEQ", "LT", "LTE", "GT", "GTE", "BETWEEN", "IN", "NOT_IN",
    "HAS_PROPERTY", "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
}  # fmt: skip
VALUELESS = {"HAS_PROPERTY", "NOT_HAS_PROPERTY"}
MULTI_VALUED = {"IN", "NOT_IN"}
TOKEN = re.compile(r"[\w@.*-]+")

# Associated record ids of ``record`` for the object type named by ``associations.<type>``.
AssociationLookup = Callable[[Record, str], set[str]]


@dataclass(frozen=True)
class Filter:
    property_name: str
    operator: str
    value: Any = None
    high_value: Any = None
    values: tuple[Any, ...] = ()


@dataclass(frozen=True)
class SearchRequest:
    filter_groups: tuple[tuple[Filter, ...], ...]
    sort_property: str | None
    descending: bool
    properties: tuple[str, ...] | None
    limit: int
    after: int
    query: str | None


def parse_request(body: Any, body_chars: int, otype: ObjectType) -> SearchRequest:
    """Validate a search body the way HubSpot does (limits, operators, properties) and parse it."""
    if body_chars > MAX_BODY_CHARS:
        raise validation_error(f"Search request body exceeds the {MAX_BODY_CHARS} character limit.")
    body = payload.obj(body, "the search request")
    groups_raw = payload.objects(body.get("filterGroups"), "filterGroups")
    if len(groups_raw) > MAX_FILTER_GROUPS:
        raise validation_error(
            f"Too many filter groups ({len(groups_raw)}); the maximum is {MAX_FILTER_GROUPS}."
        )
    groups = tuple(
        tuple(_filter(f, otype) for f in payload.objects(g.get("filters"), "filters")) for g in groups_raw
    )
    if any(len(g) > MAX_FILTERS_PER_GROUP for g in groups):
        raise validation_error(f"Too many filters in a group; the maximum is {MAX_FILTERS_PER_GROUP}.")
    if sum(len(g) for g in groups) > MAX_FILTERS:
        raise validation_error(f"Too many filters; the maximum is {MAX_FILTERS} across all groups.")
    sort_property, descending = _sort(payload.items(body.get("sorts"), "sorts"), otype)
    limit = _int(body.get("limit"), DEFAULT_LIMIT, "limit")
    if not 0 < limit <= MAX_LIMIT:
        raise validation_error(f"limit must be between 1 and {MAX_LIMIT}; got {limit}.")
    after = _int(body.get("after"), 0, "after")
    if after >= MAX_RESULTS:
        raise validation_error(
            f"Cannot page beyond {MAX_RESULTS} results: after={after}.", after=[str(after)]
        )
    properties = payload.strings(body.get("properties"), "properties")
    query = body.get("query")
    return SearchRequest(
        filter_groups=groups,
        sort_property=sort_property,
        descending=descending,
        properties=tuple(properties) if properties else None,
        limit=limit,
        after=after,
        query=str(query) if query else None,
    )


def _int(value: Any, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error(f"{name} must be formatted as an integer; got {value!r}.") from None


def _filter(raw: dict[str, Any], otype: ObjectType) -> Filter:
    name, operator = raw.get("propertyName"), raw.get("operator", "EQ")
    if not isinstance(name, str) or not name:
        raise validation_error("Filter is missing propertyName.")
    if operator not in OPERATORS:
        raise validation_error(f"Unknown filter operator {operator!r}.")
    if not name.startswith(ASSOCIATION_PREFIX) and name not in otype.properties:
        raise validation_error(f'Unable to find property "{name}" on {otype.name}.', propertyName=[name])
    values = tuple(payload.items(raw.get("values"), "values"))
    if operator in MULTI_VALUED and not values:
        raise validation_error(f"Operator {operator} requires values.")
    if operator not in VALUELESS | MULTI_VALUED and raw.get("value") is None:
        raise validation_error(f"Operator {operator} requires a value.")
    if operator == "BETWEEN" and raw.get("highValue") is None:
        raise validation_error("Operator BETWEEN requires highValue.")
    return Filter(name, operator, raw.get("value"), raw.get("highValue"), values)


def _sort(sorts: Sequence[Any], otype: ObjectType) -> tuple[str | None, bool]:
    if len(sorts) > 1:
        raise validation_error("Only one sort can be applied to a search.")
    if not sorts:
        return None, False
    sort = sorts[0]
    if isinstance(sort, str):  # the SDK's list[str] form: "createdate" or "-createdate"
        name, descending = sort.lstrip("-"), sort.startswith("-")
    else:
        sort = payload.obj(sort, "each sort")
        name, descending = sort.get("propertyName", ""), sort.get("direction", "ASCENDING") == "DESCENDING"
    if name not in otype.properties:
        raise validation_error(f'Unable to find property "{name}" to sort by.', propertyName=[name])
    return name, descending


class Evaluator:
    """Applies filters and sorts to records, comparing by each property's type."""

    def __init__(self, otype: ObjectType, associated: AssociationLookup) -> None:
        self.otype = otype
        self.associated = associated

    def key(self, name: str, value: Any) -> Any:
        """The comparable form of ``value`` for property ``name``: float, epoch ms or folded string."""
        prop = self.otype.properties[name]
        if prop.type == "number":
            try:
                return float(value)
            except (TypeError, ValueError):
                raise validation_error(f"{value!r} is not a valid number for {name}.") from None
        if prop.type in ("datetime", "date"):
            instant = parse_instant(value)
            if instant is None:
                raise validation_error(f"{value!r} is not a valid date for {name}.")
            return instant
        return str(value).lower()

    def matches(self, record: Record, request: SearchRequest) -> bool:
        """OR across filter groups, AND within one; no groups matches everything."""
        if request.query and not self._text_match(record, request.query):
            return False
        if not request.filter_groups:
            return True
        return any(all(self._test(record, f) for f in group) for group in request.filter_groups)

    def _text_match(self, record: Record, query: str) -> bool:
        needle = query.lower()
        return any(
            value is not None and self.otype.properties[name].type == "string" and needle in value.lower()
            for name, value in record.properties.items()
        )

    def _test(self, record: Record, flt: Filter) -> bool:
        if flt.property_name.startswith(ASSOCIATION_PREFIX):
            return self._test_association(record, flt)
        raw = record.properties.get(flt.property_name)
        op = flt.operator
        if op == "HAS_PROPERTY":
            return raw is not None
        if op == "NOT_HAS_PROPERTY":
            return raw is None
        if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
            found = raw is not None and _has_tokens(raw, str(flt.value))
            return found if op == "CONTAINS_TOKEN" else not found
        if op in ("NEQ", "NOT_IN") and raw is None:
            return True
        if raw is None:
            return False
        have = self.key(flt.property_name, raw)
        if op in ("IN", "NOT_IN"):
            inside = have in {self.key(flt.property_name, v) for v in flt.values}
            return inside if op == "IN" else not inside
        want = self.key(flt.property_name, flt.value)
        if op == "BETWEEN":
            return bool(want <= have <= self.key(flt.property_name, flt.high_value))
        return bool(
            {
                "EQ": have == want,
                "NEQ": have != want,
                "LT": have < want,
                "LTE": have <= want,
                "GT": have > want,
                "GTE": have >= want,
            }[op]
        )

    def _test_association(self, record: Record, flt: Filter) -> bool:
        ids = self.associated(record, flt.property_name.removeprefix(ASSOCIATION_PREFIX))
        op = flt.operator
        if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
            return bool(ids) == (op == "HAS_PROPERTY")
        wanted = {str(v) for v in flt.values} if op in MULTI_VALUED else {str(flt.value)}
        if op in ("EQ", "IN"):
            return bool(ids & wanted)
        if op in ("NEQ", "NOT_IN"):
            return not ids & wanted
        raise ApiError(400, "VALIDATION_ERROR", f"Operator {op} is not supported on {flt.property_name}.")

    def sort(self, records: list[Record], request: SearchRequest) -> list[Record]:
        """Records ordered by the request's sort (missing values last), ties by id; id order by default."""
        name = request.sort_property
        if name is None:
            return records
        present = [r for r in records if r.properties.get(name) is not None]
        missing = [r for r in records if r.properties.get(name) is None]
        present.sort(key=lambda r: self.key(name, r.properties[name]), reverse=request.descending)
        return present + missing


def _has_tokens(text: str, wanted: str) -> bool:
    """Whether every token of ``wanted`` (``*`` wildcards allowed) matches a token of ``text``."""
    tokens = [t.lower() for t in TOKEN.findall(text)]
    return all(any(fnmatch.fnmatchcase(t, w.lower()) for t in tokens) for w in TOKEN.findall(wanted))


def run(
    records: list[Record], request: SearchRequest, evaluator: Evaluator
) -> tuple[list[Record], int, int | None]:
    """(page, total, next ``after`` or None) for ``records`` (live, in id order)."""
    matched = evaluator.sort([r for r in records if evaluator.matches(r, request)], request)
    page = matched[request.after : request.after + request.limit]
    following = request.after + request.limit
    return page, len(matched), following if following < len(matched) else None
