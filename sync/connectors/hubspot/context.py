"""What delivery needs about the submissions a batch of actions is about, read lazily and in batches."""

from __future__ import annotations

from collections.abc import Iterable

from .api import HubSpotApi
from .lookups import SUBMISSIONS, Lookups


class SubmissionContext:
    """Each submission's contact, the contact's company and its crm-sync ticket (one batch read each)."""

    def __init__(self, api: HubSpotApi, lookups: Lookups, submission_ids: Iterable[str]) -> None:
        self.api = api
        self.lookups = lookups
        self.ids = sorted(set(submission_ids))
        self._existing: set[str] | None = None
        self._contacts: dict[str, str] = {}
        self._companies: dict[str, str] | None = None
        self._tickets: dict[str, str] | None = None
        self._created: dict[str, str] = {}

    def exists(self, submission_id: str) -> bool:
        self._load_contacts()
        assert self._existing is not None
        return submission_id in self._existing

    def contact(self, submission_id: str) -> str | None:
        self._load_contacts()
        return self._contacts.get(submission_id)

    def company(self, submission_id: str) -> str | None:
        contact = self.contact(submission_id)
        if self._companies is None:
            self._companies = self.lookups.company_ids(set(self._contacts.values()))
        return self._companies.get(contact) if contact else None

    def ticket(self, submission_id: str) -> str | None:
        """The crm-sync ticket of the submission (created earlier, or in this batch)."""
        if submission_id in self._created:
            return self._created[submission_id]
        if self._tickets is None:
            self._tickets = self.lookups.tickets(sid for sid in self.ids if sid not in self._created)
        return self._tickets.get(submission_id)

    def add_ticket(self, submission_id: str, ticket_id: str) -> None:
        self._created.setdefault(submission_id, ticket_id)

    def _load_contacts(self) -> None:
        if self._existing is None:
            found = self.api.read(SUBMISSIONS, self.ids, ["hs_contact_id"])
            self._existing = set(found)
            self._contacts = self.lookups.contact_ids({sid: s["properties"] for sid, s in found.items()})
