"""HubSpot seed data: owners in teams, companies, contacts and feedback (NPS/CSAT) submissions.

Every function takes anything with the emulator's ``create(object_type, properties, associations)``
(and ``seed_owner`` for owners) and returns the new record's id. Feedback submissions and owners are
read-only in the public API, so seeding them is the only way to have them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

CONTACT_TO_COMPANY_PRIMARY = 1  # HUBSPOT_DEFINED contact -> company, primary
ANALYST_TEAM = "Customer Success"


class Creator(Protocol):
    """The emulator's seeding helpers (``HubSpotEmulator.create`` and ``seed_owner``)."""

    def create(
        self, object_type: str, properties: dict[str, Any], associations: list[Any] | None = None
    ) -> dict[str, Any]: ...

    def seed_owner(self, email: str, first_name: str, last_name: str, teams: list[str]) -> dict[str, Any]: ...


def association(to_id: str, type_id: int) -> dict[str, Any]:
    """An inline association of a HubSpot-defined type, in the API's shape."""
    return {
        "to": {"id": to_id},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def create_company(hs: Creator, name: str, analyst: str | None = None, **properties: Any) -> str:
    """A company; ``analyst`` is the owner id of its CS business analyst (``cs_business_analyst``)."""
    props = {"name": name, **properties}
    if analyst is not None:
        props["cs_business_analyst"] = analyst
    return str(hs.create("companies", props)["id"])


def create_contact(hs: Creator, properties: Mapping[str, Any], company_id: str | None = None) -> str:
    """A contact, with ``company_id`` as its primary company when given."""
    associations = [association(company_id, CONTACT_TO_COMPANY_PRIMARY)] if company_id is not None else []
    return str(hs.create("contacts", dict(properties), associations)["id"])


def create_submission(hs: Creator, contact_id: str | None, properties: Mapping[str, Any]) -> str:
    """A survey response, linked to ``contact_id`` (``hs_contact_id`` and the default association)."""
    props = dict(properties)
    associations: list[Any] = []
    if contact_id:
        props["hs_contact_id"] = contact_id
        associations.append(("contacts", contact_id))
    return str(hs.create("feedback_submissions", props, associations)["id"])


@dataclass
class Portal:
    """Seeds the emulated portal the way HubSpot's NPS tool fills it; names and emails are numbered."""

    hs: Creator
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def owner(self, teams: list[str], first: str, last: str, local: str = "owner") -> dict[str, Any]:
        """An owner in ``teams`` (the first is primary), mailed at ``<local><n>@example.com``."""
        n = next(self.ids)
        return dict(self.hs.seed_owner(f"{local}{n}@example.com", first, last, teams))

    def analyst(self, first: str = "Ana", last: str = "Lyst") -> dict[str, Any]:
        """A CS business analyst (an owner in the "Customer Success" team)."""
        return self.owner([ANALYST_TEAM], first, last, "analyst")

    def customer(
        self, analyst: dict[str, Any] | None = None, email: str | None = "", company: bool = True
    ) -> str:
        """A contact (with a primary company whose CS analyst is ``analyst``); returns the contact id.

        ``email=""`` gives a numbered address, ``None`` no address.
        """
        n = next(self.ids)
        props = {"firstname": f"Pat{n}", "lastname": "Doe"}
        if email is not None:
            props["email"] = email or f"pat{n}@client.example"
        company_id = None
        if company:
            company_id = create_company(self.hs, f"Client {n}", analyst["id"] if analyst else None)
        return create_contact(self.hs, props, company_id)

    def submission(
        self,
        contact_id: str | None,
        score: int | str = 3,
        survey: str = "NPS",
        modified: datetime | None = None,
        content: str | None = "Billing is slow",
    ) -> str:
        """A survey response with the raw ``score`` as ``hs_value``; ``modified`` dates it."""
        props: dict[str, Any] = {"hs_value": str(score), "hs_survey_type": survey}
        if content:
            props["hs_content"] = content
        if modified:
            props["hs_lastmodifieddate"] = modified.isoformat()
            props["hs_submission_timestamp"] = modified.isoformat()
        return create_submission(self.hs, contact_id, props)
