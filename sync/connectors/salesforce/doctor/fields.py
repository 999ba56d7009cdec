"""Every object and field the configured streams read, by describe, and each stream's query itself."""

from __future__ import annotations

from typing import Any

from rules.model import Stream
from sync.connectors.base import ConnectorError
from sync.connectors.checks import Checks
from sync.connectors.salesforce.polling import selected_fields

from .context import OrgContext

ACCESS_FIX = "grant the integration user read access to it (a permission set with field-level security)"


def _step(org: OrgContext, sobjects: list[str], part: str, last: bool) -> tuple[list[str], str | None]:
    """Follow one segment of a path from ``sobjects`` (several when the lookup is polymorphic): the
    objects it leads to, or a problem."""
    for sobject in sobjects:
        described = org.describe(sobject) or {}
        for f in described.get("fields", []):
            if last and str(f.get("name", "")).lower() == part.lower():
                return [], None
            if not last and str(f.get("relationshipName") or "").lower() == part.lower():
                return [str(t) for t in f.get("referenceTo") or []], None
    kind = "field" if last else "relationship"
    return [], f"{' / '.join(sobjects)} has no {kind} {part}"


def missing(org: OrgContext, sobject: str, path: str) -> str | None:
    """Why ``path`` (``Referral_Account__r.Owner.Email``) cannot be read from ``sobject``, or ``None``."""
    parts = path.split(".")
    current = [sobject]
    for index, part in enumerate(parts):
        current, problem = _step(org, current, part, index == len(parts) - 1)
        if problem:
            return problem
        if index < len(parts) - 1 and not current:
            return f"{parts[index]} leads to no object"
    return None


def _stream_fields(org: OrgContext, stream: Stream, out: Checks) -> None:
    name = f"stream {stream.name}"
    described = org.describe(stream.object)
    if described is None:
        out.block(
            name,
            f"object {stream.object} does not exist or the integration user cannot see it",
            f"create {stream.object} in the org, or {ACCESS_FIX}",
        )
        return
    problems = [
        f"{path}: {why}" for path in selected_fields(stream) if (why := missing(org, stream.object, path))
    ]
    if problems:
        out.block(
            name,
            f"{len(problems)} field(s) of {stream.object} cannot be read: " + "; ".join(problems),
            f"create the fields (or correct salesforce.streams.{stream.name.split('.', 1)[1]}.fields), "
            f"or {ACCESS_FIX}",
        )
        return
    try:
        org.client.call(lambda sf: _probe(sf, stream))
    except ConnectorError as exc:
        out.block(
            name,
            f"the stream's query is refused: {exc}",
            "correct the stream's where or fields (crm-sync validate shows where they are)",
        )
        return
    out.ok(name, f"{stream.object}: {len(stream.fields)} field(s) readable, query accepted")


def _probe(sf: Any, stream: Stream) -> Any:
    where = f" WHERE {stream.where}" if stream.where else ""
    return sf.query(f"SELECT {', '.join(selected_fields(stream))} FROM {stream.object}{where} LIMIT 1")


def check_stream_fields(org: OrgContext, out: Checks) -> None:
    """Each stream's object, every field path it selects (relationships followed), and its query."""
    for stream in org.streams:
        _stream_fields(org, stream, out)
