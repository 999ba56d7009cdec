"""The query / queryAll resources: run SOQL, keep server-side cursors, serve ``nextRecordsUrl`` pages."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .errors import SalesforceApiError
from .ids import make_id
from .schema import Schema
from .soql.binder import bind
from .soql.errors import SoqlError
from .soql.evaluator import Evaluator
from .soql.parser import parse
from .store import RecordStore

DEFAULT_BATCH = 2000
MIN_BATCH = 200
LONG_TEXT_BATCH = 200
MAX_OPEN_CURSORS = 10
_BATCH_RE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


def batch_size(header: str | None, long_text_fields: int) -> int:
    """Rows per batch: ``Sforce-Query-Options: batchSize=N`` clamped to 200..2000, 200 with 2+ long texts."""
    size = DEFAULT_BATCH
    match = _BATCH_RE.search(header or "")
    if match:
        size = min(max(int(match.group(1)), MIN_BATCH), DEFAULT_BATCH)
    return min(size, LONG_TEXT_BATCH) if long_text_fields >= 2 else size


class QueryService:
    """Executes queries and remembers the remaining rows of each under a query locator."""

    def __init__(self, schema: Schema, store: RecordStore, clock: Callable[[], datetime]) -> None:
        self.schema = schema
        self.store = store
        self.clock = clock
        self.cursors: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.cursor_count = 0

    def run(
        self, soql: str | None, include_deleted: bool, options: str | None, version: str
    ) -> dict[str, Any]:
        if not soql:
            raise SalesforceApiError.single(400, "MALFORMED_QUERY", "A query string has to be specified")
        try:
            query = bind(parse(soql), self.schema)
        except SoqlError as error:
            raise SalesforceApiError.single(400, error.code, error.render(soql)) from None
        evaluator = Evaluator(self.store, self.clock())
        matched = evaluator.run(query, self.store.rows(query.obj, include_deleted))
        if query.count:
            return {"totalSize": len(matched), "done": True, "records": []}
        rows = [evaluator.shape(query, record, version) for record in matched]
        batch = batch_size(options, query.long_text_fields)
        if len(rows) <= batch:
            return {"totalSize": len(rows), "done": True, "records": rows}
        self.cursor_count += 1
        locator = make_id("01g", self.cursor_count)
        self.cursors[locator] = {"rows": rows, "batch": batch}
        while len(self.cursors) > MAX_OPEN_CURSORS:
            self.cursors.popitem(last=False)
        return self._page(locator, 0, version)

    def more(self, locator_and_offset: str, version: str) -> dict[str, Any]:
        locator, _, offset = locator_and_offset.rpartition("-")
        if (
            locator not in self.cursors
            or not offset.isdigit()
            or int(offset) > len(self.cursors[locator]["rows"])
        ):
            raise SalesforceApiError.single(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(locator, int(offset), version)

    def _page(self, locator: str, offset: int, version: str) -> dict[str, Any]:
        cursor = self.cursors[locator]
        rows, batch = cursor["rows"], cursor["batch"]
        end = offset + batch
        page: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows)}
        if end < len(rows):
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        page["records"] = rows[offset:end]
        return page

    def to_state(self) -> dict[str, Any]:
        return {"cursors": [[k, v] for k, v in self.cursors.items()], "count": self.cursor_count}

    def load_state(self, state: dict[str, Any]) -> None:
        self.cursors = OrderedDict((k, v) for k, v in state["cursors"])
        self.cursor_count = state["count"]
