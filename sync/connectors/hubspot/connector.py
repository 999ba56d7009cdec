"""``HubSpotConnector``: the engine's view of HubSpot (poll streams, deliver actions)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from rules.model import Stream
from sync.connectors.base import (
    ApiUsage,
    Confirmation,
    DeliveryResult,
    OwedAction,
    Page,
    SentAction,
    StoredSnapshots,
)

from .api import HubSpotApi
from .client import HubSpotClient
from .context import Anchors
from .delivery import Deliverer
from .lookups import Lookups
from .pacing import Monotonic, Sleep
from .polling import ENRICH_GROUP, PAGE_SIZE, SEARCH_CAP, Poller
from .seen import SeenRecords
from .send_status import confirm
from .settings import HubSpotSettings
from .shape import RecordShape

PERSON = "PERSON"  # an owner's ``type``: a person, or a ``QUEUE``


def _utc_now() -> datetime:
    return datetime.now(UTC)


class HubSpotConnector:
    """One HubSpot portal. ``sleep``/``monotonic``/``now`` are injectable so tests need not wait."""

    name = "hubspot"

    def __init__(
        self,
        settings: HubSpotSettings,
        *,
        sleep: Sleep = time.sleep,
        monotonic: Monotonic = time.monotonic,
        now: Callable[[], datetime] = _utc_now,
        page_size: int = PAGE_SIZE,
        search_cap: int = SEARCH_CAP,
        group_size: int = ENRICH_GROUP,
    ) -> None:
        self.client = HubSpotClient(settings, sleep, monotonic)
        self.api = api = HubSpotApi(self.client, settings.api_version)
        self.status_checks_per_cycle = settings.status_checks_per_cycle
        self.send_status_timeout = settings.send_status_timeout.total
        self.lookups = Lookups(api)
        self.poller = Poller(
            api, self.lookups, settings.overlap.total, now, page_size, search_cap, group_size
        )
        self.anchors = {f"{self.name}.{key}": Anchors.of(cfg) for key, cfg in settings.streams.items()}
        self.seen = SeenRecords(monotonic)
        self.deliverer = Deliverer(api, self.anchors, settings.transactional_email_id, now, self.seen)

    def usage(self) -> ApiUsage:
        return ApiUsage(self.client.calls, self.client.pacer.budget_left)

    def poll(self, stream: Stream, cursor: Any, stored: StoredSnapshots | None = None) -> Iterator[Page]:
        self.client.pacer.reset_budget()
        self.lookups.forget()
        shape = RecordShape.of(stream)
        self.seen.forget(stream.name)
        for page in self.poller.poll(stream, cursor, stored):
            self.seen.remember(
                stream.name, self.anchors.get(stream.name), shape, page.records, page.deleted_ids
            )
            yield page

    def reread(self, stream: Stream, ids: Sequence[str]) -> Page:
        self.client.pacer.reset_budget()
        page = self.poller.reread(stream, ids)
        shape = RecordShape.of(stream)
        self.seen.remember(stream.name, self.anchors.get(stream.name), shape, page.records, page.deleted_ids)
        return page

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        self.client.pacer.reset_budget()
        return self.deliverer.deliver(actions)

    def confirm(self, sent: Sequence[SentAction], now: datetime) -> list[Confirmation]:
        """The final status of queued sends (delivered, bounced...), read by their ``statusId``."""
        self.client.pacer.reset_budget()
        return confirm(self.api, sent, now, self.send_status_timeout)

    def teams(self) -> dict[str, list[dict[str, Any]]]:
        """Teams and their members (active owners, by owner id), for team and round-robin roles. Only
        people are members: a ``QUEUE`` owner (a help desk queue) is no one to email or to take a turn."""
        teams: dict[str, list[dict[str, Any]]] = {}
        people = [o for o in self.lookups.owners().values() if o.get("type", PERSON) == PERSON]
        owners = sorted(people, key=lambda o: (len(str(o["id"])), str(o["id"])))
        for owner in owners:
            first, last = owner.get("firstName"), owner.get("lastName")
            member = {
                "id": str(owner["id"]),
                "email": owner.get("email"),
                "firstName": first,
                "lastName": last,
                "name": " ".join(p for p in (first, last) if p) or None,
                "active": not owner.get("archived", False),
            }
            for team in owner.get("teams") or []:
                teams.setdefault(str(team["name"]), []).append(member)
        return teams

    def close(self) -> None:
        self.client.close()
