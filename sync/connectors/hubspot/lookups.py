"""Batched look-ups around feedback submissions: their contacts, companies, crm-sync tickets, calls, owners.

Every method takes many ids and makes a few batch calls, never one call per record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hubspot.crm.association_type import AssociationType

from .api import HubSpotApi

SUBMISSIONS = "feedback_submissions"
KEY_PROPERTY = "crm_sync_key"  # unique ticket property holding the create_ticket action's external id
OWNER_PROPERTY = "hubspot_owner_id"


def _ids(targets: list[dict[str, Any]]) -> list[str]:
    return sorted((str(t["toObjectId"]) for t in targets), key=int)


class Lookups:
    """Batched reads shared by polling (enrichment) and delivery (association targets)."""

    def __init__(self, api: HubSpotApi) -> None:
        self.api = api
        self._owners: dict[str, dict[str, Any]] | None = None
        self._ticket_owners: dict[str, str | None] = {}

    def forget(self) -> None:
        """Drop cached reference data (owners, ticket owners): called once per poll."""
        self._owners = None
        self._ticket_owners = {}

    def owners(self) -> dict[str, dict[str, Any]]:
        """Active owners by owner id (read once per poll)."""
        if self._owners is None:
            self._owners = {str(o["id"]): o for o in self.api.owners()}
        return self._owners

    def contact_ids(self, submissions: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
        """``{submission id: contact id}`` from ``hs_contact_id``, else the submission→contact association."""
        found = {
            sid: str(props["hs_contact_id"])
            for sid, props in submissions.items()
            if props.get("hs_contact_id")
        }
        missing = [sid for sid in submissions if sid not in found]
        if missing:
            for sid, targets in self.api.associations(SUBMISSIONS, "contacts", missing).items():
                found[sid] = _ids(targets)[0]
        return found

    def company_ids(self, contact_ids: Iterable[str]) -> dict[str, str]:
        """``{contact id: company id}``: the primary company, else the first associated one."""
        primary = AssociationType.PRIMARY_CONTACT_TO_COMPANY
        found: dict[str, str] = {}
        for contact_id, targets in self.api.associations("contacts", "companies", contact_ids).items():
            flagged = [
                t for t in targets if any(a.get("typeId") == primary for a in t.get("associationTypes", []))
            ]
            found[contact_id] = _ids(flagged or targets)[0]
        return found

    def keyed_tickets(self, ticket_ids: Iterable[str]) -> set[str]:
        """Those of ``ticket_ids`` that crm-sync created (they carry a ``crm_sync_key``); remembers their
        owners for :meth:`ticket_owner`."""
        tickets = self.api.read("tickets", ticket_ids, [KEY_PROPERTY, OWNER_PROPERTY])
        ours = {tid: ticket for tid, ticket in tickets.items() if ticket["properties"].get(KEY_PROPERTY)}
        self._ticket_owners.update({tid: t["properties"].get(OWNER_PROPERTY) for tid, t in ours.items()})
        return set(ours)

    def ticket_owner(self, ticket_id: str) -> dict[str, Any] | None:
        """The owner a crm-sync ticket is assigned to now (read with the ticket), if any."""
        owner_id = self._ticket_owners.get(ticket_id)
        return self.owners().get(str(owner_id)) if owner_id else None

    def tickets(self, submission_ids: Iterable[str]) -> dict[str, str]:
        """``{submission id: ticket id}`` for the crm-sync ticket of each submission (the oldest, if several)."""
        linked = self.api.associations(SUBMISSIONS, "tickets", submission_ids)
        ours = self.keyed_tickets(_ids([t for targets in linked.values() for t in targets]))
        found: dict[str, str] = {}
        for sid, targets in linked.items():
            keyed = [tid for tid in _ids(targets) if tid in ours]
            if keyed:
                found[sid] = keyed[0]
        return found

    def submissions_of_tickets(self, ticket_ids: Iterable[str]) -> set[str]:
        """Submissions associated with crm-sync tickets among ``ticket_ids``."""
        ours = self.keyed_tickets(ticket_ids)
        linked = self.api.associations("tickets", SUBMISSIONS, ours) if ours else {}
        return {sid for targets in linked.values() for sid in _ids(targets)}

    def calls_logged(self, ticket_ids: Iterable[str]) -> dict[str, int]:
        """``{ticket id: number of calls associated}`` (tickets without calls are absent)."""
        return {
            tid: len(targets)
            for tid, targets in self.api.associations("tickets", "calls", ticket_ids).items()
        }
