"""Every object type and property the streams read, the ticket properties create_ticket writes (its key
must hold unique values), and the properties update_record sets."""

from __future__ import annotations

from rules.actions.ticket import CreateTicket
from rules.actions.update import UpdateRecord
from sync.connectors.base import ConnectorError
from sync.connectors.checks import Checks

from ..shape import RecordShape
from ..tickets import KEY_PROPERTY
from .context import PortalContext

TICKET_PROPERTIES = ("subject", "content", "hs_pipeline", "hs_pipeline_stage", "hubspot_owner_id")
CREATE_FIX = "create them in Settings > Properties (or correct the configuration)"


def _needed(portal: PortalContext) -> dict[str, set[str]]:
    """``{object type: properties}`` the streams read (record, related objects, counted types)."""
    needed: dict[str, set[str]] = {}
    for stream in portal.streams:
        shape = RecordShape.of(stream)
        needed.setdefault(shape.object, set()).update(shape.properties)
        for link in shape.links.values():
            needed.setdefault(link.object, set()).update([*link.properties, *filter(None, [link.having])])
        for count in shape.counts:
            needed.setdefault(count.object, set())
    return needed


def check_stream_properties(portal: PortalContext, out: Checks) -> None:
    for object_type, wanted in sorted(_needed(portal).items()):
        name = f"properties {object_type}"
        try:
            known = portal.properties(object_type)
        except ConnectorError as exc:
            out.block(
                name,
                f"object type {object_type} cannot be read: {exc}",
                f"check the object type and {CREATE_FIX}",
            )
            continue
        missing = sorted(p for p in wanted if p not in known)
        if missing:
            out.block(
                name,
                f"{object_type} has no propert{'y' if len(missing) == 1 else 'ies'} {', '.join(missing)}",
                CREATE_FIX,
            )
        elif wanted:
            out.ok(name, f"{object_type}: {', '.join(sorted(wanted))}")
        else:
            out.ok(name, f"{object_type} can be read")


def check_ticket_properties(portal: PortalContext, out: Checks) -> None:
    """create_ticket writes these ticket properties; ``crm_sync_key`` must hold unique values, or a
    retried create makes a second ticket."""
    uses = list(portal.uses(CreateTicket.name))
    if not uses:
        return
    try:
        known = portal.properties("tickets")
    except ConnectorError as exc:
        out.block("ticket properties", f"ticket properties cannot be read: {exc}", "grant the tickets scope")
        return
    wanted = {*TICKET_PROPERTIES, *(p for _, compiled in uses for p in compiled.properties)}
    missing = sorted(p for p in wanted if p not in known)
    read_only = sorted(
        p for p in wanted if p in known and (known[p].get("modificationMetadata") or {}).get("readOnlyValue")
    )
    if missing or read_only:
        problems = [f"missing: {', '.join(missing)}"] if missing else []
        problems += [f"read-only: {', '.join(read_only)}"] if read_only else []
        out.block("ticket properties", "tickets: " + "; ".join(problems), CREATE_FIX)
    else:
        out.ok("ticket properties", f"tickets: {', '.join(sorted(wanted))} writable")
    key = known.get(KEY_PROPERTY)
    fix = (
        f"create the ticket property {KEY_PROPERTY} (single-line text) with 'Require unique values' on "
        "(only a new property can be made unique)"
    )
    if key is None:
        out.block("ticket key", f"tickets have no property {KEY_PROPERTY}", fix)
    elif not key.get("hasUniqueValue"):
        out.block("ticket key", f"ticket property {KEY_PROPERTY} does not require unique values", fix)
    else:
        out.ok("ticket key", f"ticket property {KEY_PROPERTY} requires unique values")


def check_update_properties(portal: PortalContext, out: Checks) -> None:
    wanted: dict[str, set[str]] = {}
    for rule, compiled in portal.uses(UpdateRecord.name):
        wanted.setdefault(rule.stream.object, set()).update(compiled.fields)
    for object_type, fields in sorted(wanted.items()):
        name = f"updates {object_type}"
        try:
            known = portal.properties(object_type)
        except ConnectorError as exc:
            out.block(name, f"{object_type} properties cannot be read: {exc}", CREATE_FIX)
            continue
        bad = sorted(
            f
            for f in fields
            if f not in known or (known[f].get("modificationMetadata") or {}).get("readOnlyValue")
        )
        if bad:
            out.block(name, f"{object_type}: not writable or missing: {', '.join(bad)}", CREATE_FIX)
        else:
            out.ok(name, f"{object_type}: {', '.join(sorted(fields))} writable")
