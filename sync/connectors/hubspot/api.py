"""The HubSpot operations crm-sync uses, on plain dicts and chunked to the API's batch limits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from sync.connectors.base import chunks

from .client import HubSpotClient, raw

OBJECT_BATCH = 100  # objects batch read/create/update
ASSOCIATION_BATCH = 1000  # associations batch read: at most 1,000 ids a request (HubSpot, since 2025-02-10)
OWNERS_PAGE = 100  # the owners list's documented default page (published spec CRM/Crm Owners); no maximum is documented


def association(to_id: str, type_id: int) -> dict[str, Any]:
    """An inline association of a create input (a HubSpot-defined type)."""
    return {
        "to": {"id": to_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


class HubSpotApi:
    """Search, batch read/create/update, associations, owners, pipelines and transactional email."""

    def __init__(self, client: HubSpotClient) -> None:
        self.client = client

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST crm/v3/objects/{type}/search``: one page."""
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
            answer = self.client.call(self.client.batch_api.read, object_type, body, archived=False)
            for item in answer.get("results", []):
                key = item["properties"].get(id_property) if id_property else item["id"]
                found[str(key)] = item
        return found

    def create(self, object_type: str, inputs: Sequence[dict[str, Any]], idempotent: bool) -> dict[str, Any]:
        """``batch/create``; with ``objectWriteTraceId`` on each input, failures come back per input."""
        return self._write(self.client.batch_api.create, object_type, inputs, idempotent)

    def update(self, object_type: str, inputs: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """``batch/update`` (``{id, properties, objectWriteTraceId}`` inputs)."""
        return self._write(self.client.batch_api.update, object_type, inputs, True)

    def _write(
        self, method: Any, object_type: str, inputs: Sequence[dict[str, Any]], idempotent: bool
    ) -> dict[str, Any]:
        merged: dict[str, Any] = {"results": [], "errors": []}
        for chunk in chunks(inputs, OBJECT_BATCH):
            answer = self.client.call(method, object_type, {"inputs": list(chunk)}, idempotent=idempotent)
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
            answer = self.client.call(self.client.associations_api.get_page, from_type, to_type, body)
            for item in answer.get("results", []):
                found.setdefault(str(item["from"]["id"]), []).extend(item.get("to", []))
        return found

    def owners(self) -> list[dict[str, Any]]:
        """Every active owner (``crm/v3/owners``, all pages)."""
        owners: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = self.client.call(
                self.client.owners_api.get_page, limit=OWNERS_PAGE, after=after, archived=False
            )
            owners.extend(page.get("results", []))
            after = page.get("paging", {}).get("next", {}).get("after")
            if not after:
                return owners

    def pipelines(self, object_type: str) -> list[dict[str, Any]]:
        """``crm/v3/pipelines/{type}``: pipelines with their stages."""
        answer = self.client.call(self.client.pipelines_api.get_all, object_type)
        return list(answer.get("results", []))

    def send_email(self, body: dict[str, Any]) -> dict[str, Any]:
        """``marketing/v3/transactional/single-email/send`` (idempotent by ``message.sendId``)."""
        return self.client.call(self.client.email_api.send_email, body)

    def send_status(self, status_id: str) -> dict[str, Any]:
        """``marketing/v3/email/send-statuses/{statusId}``: where a queued send is (no batch read exists)."""
        path = f"/marketing/v3/email/send-statuses/{quote(status_id, safe='')}"
        return self.client.call(raw(self.client.email_api.api_client, "GET", path))
