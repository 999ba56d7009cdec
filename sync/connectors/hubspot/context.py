"""What delivery needs about the records a batch of actions is about: whether each exists, and its
contact, company and ticket, found through the stream's relations (read lazily, in batches).

A record's contact, company and ticket are its stream's first relations to contacts, companies and
tickets (for the NPS stream: ``contact``, ``company`` and the crm-sync ``ticket``), or the record itself
when the stream polls that object.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .api import HubSpotApi
from .relations import Resolution
from .settings import HubSpotStreamSettings
from .shape import RecordShape

SUBMISSIONS = "feedback_submissions"

Known = dict[str, Mapping[str, str | None]]
"""Records known without reading them: ``{record id: {object type: linked id or None}}``."""
ANCHORED = ("contacts", "companies", "tickets")


@dataclass(frozen=True)
class Anchors:
    """A stream as delivery sees it: which links lead to each record's contact, company and ticket."""

    shape: RecordShape  # those links only, reading no more than reaching them takes
    links: Mapping[str, str]  # object type → link name

    @classmethod
    def of(cls, settings: HubSpotStreamSettings) -> Anchors:
        links: dict[str, str] = {}
        for name, relation in settings.relations.items():
            if relation.object in ANCHORED and relation.object != settings.object:
                links.setdefault(relation.object, name)
        return cls(RecordShape.build(settings.object, settings.relations, (), keep=links.values()), links)


class RecordContext:
    """The records of one stream that a batch of actions is about; nothing is read until asked, and
    records ``known`` (just polled, see :mod:`.seen`) are never read."""

    def __init__(
        self,
        api: HubSpotApi,
        anchors: Anchors | None,
        record_ids: Iterable[str],
        known: Known | None = None,
    ) -> None:
        self.api = api
        self.anchors = anchors
        self.known: Known = dict(known or {}) if anchors is not None else {}
        self.ids = sorted(set(record_ids) - set(self.known))
        self._resolution: Resolution | None = None
        self._created: dict[str, str] = {}

    def exists(self, record_id: str) -> bool:
        if record_id in self.known:
            return True
        resolution = self._resolved()
        return resolution is not None and record_id in resolution.records

    def submission(self, record_id: str) -> str | None:
        """The record, when it is a feedback submission that exists (a ticket is linked to it)."""
        polls = self.anchors.shape.object if self.anchors else None
        return record_id if polls == SUBMISSIONS and self.exists(record_id) else None

    def contact(self, record_id: str) -> str | None:
        return self._related("contacts", record_id)

    def company(self, record_id: str) -> str | None:
        return self._related("companies", record_id)

    def ticket(self, record_id: str) -> str | None:
        """The record's ticket (created earlier, or in this batch)."""
        return self._created.get(record_id) or self._related("tickets", record_id)

    def add_ticket(self, record_id: str, ticket_id: str) -> None:
        self._created.setdefault(record_id, ticket_id)

    def _related(self, object_type: str, record_id: str) -> str | None:
        if record_id in self.known and self.anchors is not None:
            if object_type == self.anchors.shape.object:
                return record_id
            return self.known[record_id].get(object_type)
        resolution = self._resolved()
        if resolution is None or self.anchors is None:
            return None
        if object_type == self.anchors.shape.object:
            return record_id if record_id in resolution.records else None
        name = self.anchors.links.get(object_type)
        found = resolution.linked(name).get(record_id) if name else None
        return str(found["id"]) if found else None

    def _resolved(self) -> Resolution | None:
        """The records as read (one batch read per 100); ``None`` for a stream no longer configured."""
        if self._resolution is None and self.anchors is not None:
            shape = self.anchors.shape
            found = self.api.read(shape.object, self.ids, shape.properties) if self.ids else {}
            records = {rid: record["properties"] for rid, record in found.items()}
            self._resolution = Resolution(self.api, shape, records, owners=dict)  # reads no owners
        return self._resolution
