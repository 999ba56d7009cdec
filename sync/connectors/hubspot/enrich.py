"""Feedback submissions → stream records: the submission's properties plus its contact, the contact's
company, the company's CS business analyst (an owner) and the crm-sync ticket with its logged calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rules.model import Stream

from .api import HubSpotApi
from .lookups import Lookups

SUBMISSION_PROPERTIES = (
    "hs_value",
    "hs_survey_type",
    "hs_content",
    "hs_submission_timestamp",
    "hs_contact_id",
    "hs_lastmodifieddate",
)
CONTACT_PROPERTIES = ("email", "firstname", "lastname")
COMPANY_PROPERTIES = ("name", "cs_business_analyst")
ANALYST_FIELDS = ("id", "email", "firstName", "lastName")
ANALYST_PROPERTY = "cs_business_analyst"  # company property naming the analyst's owner id
TICKET_FIELDS = ("id", "calls_logged")


def _merge(base: Sequence[str], extra: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*base, *extra]))


@dataclass(frozen=True)
class RecordShape:
    """Which properties a stream's records carry at each level (the defaults plus its field list)."""

    submission: tuple[str, ...]
    contact: tuple[str, ...]
    company: tuple[str, ...]
    analyst: tuple[str, ...]

    @classmethod
    def of(cls, stream: Stream) -> RecordShape:
        """The shape for ``stream``'s fields; raises ValueError for paths the adapter cannot fill."""
        levels: dict[str, list[str]] = {"": [], "contact": [], "company": [], "analyst": [], "ticket": []}
        for path in stream.fields:
            head, _, rest = path.rpartition(".")
            if head == "ticket.owner" and rest in ANALYST_FIELDS:
                continue  # the ticket's owner has the analyst's fields
            if head not in levels or (head == "ticket" and rest not in TICKET_FIELDS):
                raise ValueError(
                    f"stream {stream.name}: field {path!r} is not available; HubSpot records have submission "
                    f"properties and contact.*, company.*, analyst.* ({', '.join(ANALYST_FIELDS)}) and "
                    "ticket.id / ticket.calls_logged / ticket.owner.* (as analyst.*)"
                )
            if rest != "id" and head != "ticket":
                levels[head].append(rest)
        return cls(
            submission=_merge(SUBMISSION_PROPERTIES, levels[""]),
            contact=_merge(CONTACT_PROPERTIES, levels["contact"]),
            company=_merge(COMPANY_PROPERTIES, levels["company"]),
            analyst=_merge(ANALYST_FIELDS[1:], levels["analyst"]),
        )


class Enricher:
    """Builds records for a batch of submissions with a fixed number of batch calls."""

    def __init__(self, api: HubSpotApi, lookups: Lookups) -> None:
        self.api = api
        self.lookups = lookups

    def records(self, submissions: Sequence[dict[str, Any]], shape: RecordShape) -> list[dict[str, Any]]:
        """``{id, <submission properties>, contact, company, analyst, ticket}`` per submission, in order."""
        by_id = {s["id"]: s["properties"] for s in submissions}
        contact_of = self.lookups.contact_ids(by_id)
        contacts = self.api.read("contacts", contact_of.values(), shape.contact)
        company_of = self.lookups.company_ids(contacts)
        companies = self.api.read("companies", company_of.values(), shape.company)
        owners = self.lookups.owners() if companies else {}
        ticket_of = self.lookups.tickets(by_id)
        calls = self.lookups.calls_logged(ticket_of.values())

        records = []
        for sid, props in by_id.items():
            contact = contacts.get(contact_of.get(sid, ""))
            company = companies.get(company_of.get(contact["id"], "")) if contact else None
            owner = owners.get(str(company["properties"].get(ANALYST_PROPERTY))) if company else None
            ticket_id = ticket_of.get(sid)
            records.append(
                {
                    "id": sid,
                    **{name: props.get(name) for name in shape.submission},
                    "contact": _object(contact, shape.contact),
                    "company": _object(company, shape.company),
                    "analyst": _owner(owner, shape.analyst),
                    "ticket": {
                        "id": ticket_id,
                        "calls_logged": calls.get(ticket_id, 0),
                        "owner": _owner(self.lookups.ticket_owner(ticket_id), shape.analyst),
                    }
                    if ticket_id
                    else None,
                }
            )
        return records


def _owner(owner: dict[str, Any] | None, fields: Sequence[str]) -> dict[str, Any] | None:
    """An owner as records carry it: ``{id, email, firstName, lastName, ...}``."""
    return {"id": str(owner["id"]), **{k: owner.get(k) for k in fields}} if owner else None


def _object(found: dict[str, Any] | None, properties: Sequence[str]) -> dict[str, Any] | None:
    if found is None:
        return None
    return {"id": found["id"], **{name: found["properties"].get(name) for name in properties}}
