"""The HubSpot operations crm-sync uses, on plain dicts and chunked to the API's batch limits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from sync.connectors.base import chunks

from .client import HubSpotClient, raw

OBJECT_BATCH = 100  # objects batch read/create/update
ASSOCIATION_BATCH = 1000  # associations batch read: at most 1,000 ids a request (HubSpot, since 2025-02-10)
#: The owners list's documented default page (published spec CRM/Crm Owners); no maximum is documented.
OWNERS_PAGE = 100


def association(to_id: str, type_id: int) -> dict[str, Any]:
    """An inline association of a create input (a HubSpot-defined type)."""
    return {
        "to": {"id": to_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


LEGACY = "v3"


class HubSpotApi:
    """Search, batch read/create/update, associations, owners, pipelines and transactional email.

    With ``api_version`` v3 the SDK's own methods call the legacy paths (``/crm/v3/objects/...``,
    ``/crm/v4/associations/...``); with a date version (``2026-03``), which hubspot-api-client does not
    know, the same calls go through the SDK's ``call_api`` to the date-versioned paths
    (``/crm/objects/2026-03/...``, ``/crm/associations/2026-03/...``), with the same bodies.
    """

    def __init__(self, client: HubSpotClient, api_version: str = LEGACY) -> None:
        self.client = client
        self.version = api_version

    @property
    def dated(self) -> bool:
        return self.version != LEGACY

    def path(self, area: str, rest: str = "") -> str:
        """A date-versioned CRM path: ``/crm/{area}/{version}/{rest}`` (ids and types quoted)."""
        return f"/crm/{area}/{self.version}" + (f"/{rest}" if rest else "")

    def versioned(self, method: str, area: str, *parts: str) -> Any:
        """An SDK-style method (for :meth:`HubSpotClient.call`) on the date-versioned path of ``area``."""
        rest = "/".join(quote(part, safe="") for part in parts)
        return raw(self.client.batch_api.api_client, method, self.path(area, rest))

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST crm/v3/objects/{type}/search``: one page."""
        if self.dated:
            return self.client.call(
                self.versioned("POST", "objects", object_type, "search"), body, search=True
            )
        return self.client.call(self.client.search_api.do_search, object_type, body, search=True)

    def read(
        self, object_type: str, ids: Iterable[str], properties: Sequence[str], id_property: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """Objects by id (or by a unique ``id_property`` value), keyed that way; missing ones are absent."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in chunks(sorted(set(ids)), OBJECT_BATCH):
            body: dict[str, Any] = {"inputs": [{"id": i} for i in chunk], "properties": list(properties)}
            if id_property:
                body["idProperty"] = id_property
            if self.dated:
                reader = self.versioned("POST", "objects", object_type, "batch", "read")
                answer = self.client.call(reader, body, archived="false")
            else:
                answer = self.client.call(self.client.batch_api.read, object_type, body, archived=False)
            for item in answer.get("results", []):
                key = item["properties"].get(id_property) if id_property else item["id"]
                found[str(key)] = item
        return found

    def create(self, object_type: str, inputs: Sequence[dict[str, Any]], idempotent: bool) -> dict[str, Any]:
        """``batch/create``; with ``objectWriteTraceId`` on each input, failures come back per input."""
        return self._write("create", object_type, inputs, idempotent)

    def update(self, object_type: str, inputs: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """``batch/update`` (``{id, properties, objectWriteTraceId}`` inputs)."""
        return self._write("update", object_type, inputs, True)

    def _write(
        self, action: str, object_type: str, inputs: Sequence[dict[str, Any]], idempotent: bool
    ) -> dict[str, Any]:
        merged: dict[str, Any] = {"results": [], "errors": []}
        args: tuple[str, ...]
        if self.dated:
            method, args = self.versioned("POST", "objects", object_type, "batch", action), ()
        else:
            method, args = getattr(self.client.batch_api, action), (object_type,)
        for chunk in chunks(inputs, OBJECT_BATCH):
            answer = self.client.call(method, *args, {"inputs": list(chunk)}, idempotent=idempotent)
            merged["results"].extend(answer.get("results", []))
            merged["errors"].extend(answer.get("errors", []))
        return merged

    def associations(
        self, from_type: str, to_type: str, ids: Iterable[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """``{from id: [{toObjectId, associationTypes}]}`` from the v4 batch read (ids without any are absent)."""
        found: dict[str, list[dict[str, Any]]] = {}
        for chunk in chunks(sorted(set(ids)), ASSOCIATION_BATCH):
            body = {"inputs": [{"id": i} for i in chunk]}
            if self.dated:
                reader = self.versioned("POST", "associations", from_type, to_type, "batch", "read")
                answer = self.client.call(reader, body)
            else:
                answer = self.client.call(self.client.associations_api.get_page, from_type, to_type, body)
            for item in answer.get("results", []):
                found.setdefault(str(item["from"]["id"]), []).extend(item.get("to", []))
        return found

    def owners_page(self, limit: int, after: str | None = None) -> dict[str, Any]:
        """One page of active owners (``crm/v3/owners``)."""
        if self.dated:
            return self.client.call(
                self.versioned("GET", "owners"), limit=limit, after=after, archived="false"
            )
        return self.client.call(self.client.owners_api.get_page, limit=limit, after=after, archived=False)

    def owners(self) -> list[dict[str, Any]]:
        """Every active owner (``crm/v3/owners``, all pages)."""
        owners: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = self.owners_page(OWNERS_PAGE, after)
            owners.extend(page.get("results", []))
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return owners

    def pipelines(self, object_type: str) -> list[dict[str, Any]]:
        """``crm/v3/pipelines/{type}``: pipelines with their stages."""
        if self.dated:
            answer = self.client.call(self.versioned("GET", "pipelines", object_type))
        else:
            answer = self.client.call(self.client.pipelines_api.get_all, object_type)
        return list(answer.get("results", []))

    def send_email(self, body: dict[str, Any]) -> dict[str, Any]:
        """``marketing/v3/transactional/single-email/send`` (idempotent by ``message.sendId``)."""
        return self.client.call(self.client.email_api.send_email, body)

    def send_status(self, status_id: str) -> dict[str, Any]:
        """``marketing/v3/email/send-statuses/{statusId}``: where a queued send is (no batch read exists)."""
        path = f"/marketing/v3/email/send-statuses/{quote(status_id, safe='')}"
        return self.client.call(raw(self.client.email_api.api_client, "GET", path))
