"""A CRM adapter that crm-sync does not ship: ``pager``, declared in this one module.

It polls contacts from a JSON file and "sends" text messages by appending them to another file, keyed
by the action's external id (a repeat replaces, never adds).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rules.model import RuleSet, Stream
from rules.settings import ConnectionSettings
from sync.connectors.base import Clock, ConnectorSpec, DeliveryResult, OwedAction, Page, StoredSnapshots
from sync.connectors.checks import CheckResult, Checks


class PagerSettings(ConnectionSettings):
    inbox: str  # a JSON list of records
    outbox: str  # a JSON object: external id -> message


class PagerConnector:
    name = "pager"

    def __init__(self, settings: PagerSettings, base: Path) -> None:
        self.inbox = base / settings.inbox
        self.outbox = base / settings.outbox

    def poll(self, stream: Stream, cursor: Any, stored: StoredSnapshots | None = None) -> Iterator[Page]:
        records = json.loads(self.inbox.read_text())
        seen = int(cursor or 0)
        yield Page(records=records[seen:], cursor=len(records))

    def reread(self, stream: Stream, ids: Sequence[str]) -> Page:
        records = {r["id"]: r for r in json.loads(self.inbox.read_text())}
        return Page(
            records=[records[i] for i in ids if i in records],
            deleted_ids=[i for i in ids if i not in records],
        )

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        sent = json.loads(self.outbox.read_text()) if self.outbox.exists() else {}
        for action in actions:
            sent[action.external_id] = {"kind": action.kind, **action.payload.dump()}
        self.outbox.write_text(json.dumps(sent))
        return [DeliveryResult.delivered(action.key, action.external_id) for action in actions]

    def close(self) -> None:
        pass


def _build(settings: ConnectionSettings, ruleset: RuleSet, clock: Clock) -> PagerConnector:
    assert isinstance(settings, PagerSettings)
    return PagerConnector(settings, ruleset.path.parent)


def _check_stream(stream: Stream) -> None:
    if stream.object != "contact":
        raise ValueError(f"stream {stream.name}: the pager adapter polls contacts only, not {stream.object}")


def _checks(settings: ConnectionSettings, ruleset: RuleSet) -> list[CheckResult]:
    """Its preflight (``crm-sync doctor``): the inbox it polls must exist."""
    assert isinstance(settings, PagerSettings)
    out = Checks("pager")
    inbox = ruleset.path.parent / settings.inbox
    if inbox.exists():
        out.ok("inbox", f"{settings.inbox} is there")
    else:
        out.block("inbox", f"{settings.inbox} does not exist", f"create {settings.inbox} (a JSON list)")
    return out.results


SPEC = ConnectorSpec(
    name="pager",
    settings=PagerSettings,
    capabilities=frozenset({"send_sms", "notify"}),
    build=_build,
    check_stream=_check_stream,
    checks=_checks,
)
