"""Incremental polling of one object with a keyset cursor on (SystemModstamp, Id).

Each poll reads, through ``queryAll`` (so deletions arrive as rows with ``IsDeleted = true``), every row
changed after the cursor minus an overlap window (late commits carry an older SystemModstamp) and up to
the org's own clock at the start of the poll, ordered by (SystemModstamp, Id), page by page via
``nextRecordsUrl``. One SOQL query per page fetches each record with every relationship path the rules
use: no query per record. The cursor after each page is the (SystemModstamp, Id) of its last row with
the window's upper bound and whether the window is done, so a crash between pages loses nothing: the
next poll resumes from that row. A finished window was read up to its upper bound, so the next one
starts ``overlap`` before that bound, not before the newest record: an idle poll after a burst re-reads
the overlap window only, never the burst.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from rules.expressions import to_datetime
from rules.model import Stream
from sync.connectors.base import Page, chunks
from sync.connectors.salesforce.client import SalesforceClient

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def soql_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def soql_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def selected_fields(stream: Stream) -> list[str]:
    """What every query of a stream selects: a record reads the same whether polled or re-read."""
    return list(dict.fromkeys(["Id", "SystemModstamp", "IsDeleted", *stream.fields]))


def build_query(stream: Stream, after: tuple[datetime, str], upper: datetime) -> str:
    """The SOQL for one window: rows after the keyset position ``after``, up to ``upper``."""
    fields = selected_fields(stream)
    ts, last_id = after
    if last_id:
        position = (
            f"(SystemModstamp > {soql_datetime(ts)} OR "
            f"(SystemModstamp = {soql_datetime(ts)} AND Id > {soql_string(last_id)}))"
        )
    else:  # Salesforce rejects Id > '' ("invalid ID field"): start at the timestamp itself
        position = f"SystemModstamp >= {soql_datetime(ts)}"
    where = f"{position} AND SystemModstamp <= {soql_datetime(upper)}"
    if stream.where:
        where += f" AND ({stream.where})"
    return (
        f"SELECT {', '.join(fields)} FROM {stream.object} WHERE {where} ORDER BY SystemModstamp ASC, Id ASC"
    )


def plain(value: Any) -> Any:
    """A SOQL result as plain data: ``attributes`` dropped at every level."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items() if k != "attributes"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def start_position(stream: Stream, cursor: Any, overlap: timedelta) -> tuple[datetime, str]:
    """Where the next window starts (a keyset position): ``overlap`` before the end of the last finished
    window; for an unfinished one, its last row read (or that overlap, if earlier); on the first poll
    ``since``, or the beginning."""
    if not isinstance(cursor, Mapping):
        return stream.since or EPOCH, ""
    row = (to_datetime(cursor.get("modstamp")), str(cursor.get("id") or ""))
    upper = to_datetime(cursor.get("upper"))
    if upper is not None:
        late = upper - overlap  # a transaction that commits late carries an older SystemModstamp
        if cursor.get("done") or row[0] is None:
            return (late, "") if overlap > timedelta(0) else (upper, "")
        assert row[0] is not None
        return (late, "") if late < row[0] else (row[0], row[1])
    if row[0] is None:  # written before windows were recorded
        return stream.since or EPOCH, ""
    return (row[0] - overlap, "") if overlap > timedelta(0) else (row[0], row[1])


def poll_stream(client: SalesforceClient, stream: Stream, cursor: Any, overlap: timedelta) -> Iterator[Page]:
    """Pages of changed and deleted rows after ``cursor``; the last page closes the window."""
    client.api_used = None  # re-read below: a long-running daemon must see the allocation recover
    client.call(lambda sf: sf.restful("limits"))  # the org's clock now, and its API usage
    upper = client.server_now()
    after = start_position(stream, cursor, overlap)
    previous = cursor if isinstance(cursor, Mapping) else {}
    soql = build_query(stream, after, upper)
    headers = {"Sforce-Query-Options": f"batchSize={client.settings.query_batch_size}"}
    result = client.call(lambda sf: sf.query(soql, include_deleted=True, headers=headers))
    while True:
        rows = [plain(row) for row in result.get("records", [])]
        live = [row for row in rows if not row.get("IsDeleted")]
        deleted = [str(row["Id"]) for row in rows if row.get("IsDeleted")]
        if rows:
            last = rows[-1]
            position: dict[str, Any] = {"modstamp": last["SystemModstamp"], "id": last["Id"]}
        else:
            position = {"modstamp": previous.get("modstamp"), "id": previous.get("id")}
        done = result.get("done", True) or not result.get("nextRecordsUrl")
        position.update(upper=soql_datetime(upper), done=bool(done))
        yield Page(records=live, deleted_ids=deleted, cursor=position)
        if done:
            return
        next_url = result["nextRecordsUrl"]
        result = _query_more(client, next_url)


def _query_more(client: SalesforceClient, url: str) -> dict[str, Any]:
    return client.call(lambda sf: sf.query_more(url, identifier_is_url=True, include_deleted=True))


#: Ids per re-read query: the query travels in the URL, which stays well under its limit.
REREAD_BATCH = 200


def reread_records(client: SalesforceClient, stream: Stream, ids: Sequence[str]) -> Page:
    """The current version of these records, with every relationship path, one query per 200 ids
    (``queryAll``: a record in the recycle bin, or gone for good, comes back among ``deleted_ids``)."""
    fields = selected_fields(stream)
    live: list[dict[str, Any]] = []
    deleted: list[str] = []
    for chunk in chunks(sorted(set(ids)), REREAD_BATCH):
        soql = f"SELECT {', '.join(fields)} FROM {stream.object} WHERE Id IN ({', '.join(soql_string(i) for i in chunk)})"
        result = _query_all(client, soql)
        rows = [plain(row) for row in result.get("records", [])]
        found = {str(row["Id"]) for row in rows if not row.get("IsDeleted")}
        live.extend(row for row in rows if not row.get("IsDeleted"))
        deleted.extend(i for i in chunk if i not in found)
    return Page(records=live, deleted_ids=deleted)


def _query_all(client: SalesforceClient, soql: str) -> dict[str, Any]:
    return client.call(lambda sf: sf.query_all(soql, include_deleted=True))
