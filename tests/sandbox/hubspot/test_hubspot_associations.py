"""Associations v4 and HubSpot-defined type ids (taken from hubspot-api-client's enum)."""

from __future__ import annotations

import pytest
from hubspot.crm.association_type import AssociationType

from sandbox.hubspot.associations import registry


@pytest.mark.parametrize(
    ("type_id", "reverse"),
    [
        (AssociationType.PRIMARY_CONTACT_TO_COMPANY, AssociationType.PRIMARY_COMPANY_TO_CONTACT),
        (AssociationType.CONTACT_TO_COMPANY, AssociationType.COMPANY_TO_CONTACT),
        (AssociationType.TICKET_TO_CONTACT, AssociationType.CONTACT_TO_TICKET),
        (AssociationType.TICKET_TO_COMPANY, AssociationType.COMPANY_TO_TICKET),
        (AssociationType.TASK_TO_TICKET, AssociationType.TICKET_TO_TASK),
        (AssociationType.CALL_TO_TICKET, AssociationType.TICKET_TO_CALL),
        (AssociationType.FEEDBACK_SUBMISSION_TO_CONTACT, AssociationType.CONTACT_TO_FEEDBACK_SUBMISSION),
    ],
)
def test_reverse_type_ids(type_id, reverse):
    assert registry().reverse[type_id] == reverse
    assert registry().reverse[reverse] == type_id


def test_known_ids_match_hubspot():
    assert (AssociationType.TICKET_TO_CONTACT, AssociationType.TICKET_TO_COMPANY) == (16, 339)
    assert (AssociationType.TASK_TO_TICKET, AssociationType.CALL_TO_TICKET) == (230, 220)
    assert AssociationType.FEEDBACK_SUBMISSION_TO_CONTACT == 98


def test_labelled_create_is_visible_from_both_sides(api, emulator, make_ticket):
    ticket = make_ticket()
    company = emulator.create("companies", {"name": "Acme"})
    created = api(
        "PUT",
        f"/crm/v4/objects/tickets/{ticket['id']}/associations/companies/{company['id']}",
        [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 26}],  # primary ticket → company
    )
    assert created.status == 201
    assert created.body == {
        "fromObjectTypeId": "0-5",
        "fromObjectId": int(ticket["id"]),
        "toObjectTypeId": "0-2",
        "toObjectId": int(company["id"]),
        "labels": ["Primary"],
    }
    from_ticket = api("GET", f"/crm/v4/objects/tickets/{ticket['id']}/associations/companies").body
    assert from_ticket["results"] == [
        {
            "toObjectId": int(company["id"]),
            "associationTypes": [
                {"category": "HUBSPOT_DEFINED", "typeId": 26, "label": "Primary"},
                {"category": "HUBSPOT_DEFINED", "typeId": 339, "label": None},
            ],
        }
    ]
    from_company = api("GET", f"/crm/v4/objects/company/{company['id']}/associations/ticket").body
    assert [t["typeId"] for t in from_company["results"][0]["associationTypes"]] == [25, 340]


def test_wrong_type_for_the_pair_is_400(api, emulator, make_ticket):
    ticket = make_ticket()
    contact = emulator.create("contacts", {"email": "pat@example.com"})
    wrong = api(
        "PUT",
        f"/crm/v4/objects/tickets/{ticket['id']}/associations/contacts/{contact['id']}",
        [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 339}],
    )
    assert wrong.status == 400
    missing = api("PUT", f"/crm/v4/objects/tickets/{ticket['id']}/associations/contacts/999", [])
    assert missing.status == 404


def test_default_create_and_archive(api, emulator, make_ticket):
    ticket = make_ticket()
    task = emulator.create("tasks", {"hs_timestamp": "2026-03-03T09:00:00Z"})
    default = api("PUT", f"/crm/v4/objects/tasks/{task['id']}/associations/default/tickets/{ticket['id']}")
    assert default.status == 200
    specs = [r["associationSpec"]["associationTypeId"] for r in default.body["results"]]
    assert specs == [230, 229]
    read = api("GET", f"/crm/v3/objects/tickets/{ticket['id']}?associations=tasks").body
    assert read["associations"]["tasks"]["results"] == [{"id": task["id"], "type": "ticket_to_task"}]
    assert (
        api("DELETE", f"/crm/v4/objects/tickets/{ticket['id']}/associations/tasks/{task['id']}").status == 204
    )
    assert api("GET", f"/crm/v4/objects/tasks/{task['id']}/associations/tickets").body["results"] == []


def test_batch_create_and_read(api, emulator, make_ticket):
    tickets = [make_ticket(), make_ticket()]
    contact = emulator.create("contacts", {"email": "pat@example.com"})
    inputs = [
        {
            "from": {"id": t["id"]},
            "to": {"id": contact["id"]},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 16}],
        }
        for t in tickets
    ]
    created = api("POST", "/crm/v4/associations/tickets/contacts/batch/create", {"inputs": inputs})
    assert created.status == 201
    assert len(created.body["results"]) == 2

    lonely = make_ticket()
    read = api(
        "POST",
        "/crm/v4/associations/tickets/contacts/batch/read",
        {"inputs": [{"id": tickets[0]["id"]}, {"id": lonely["id"]}]},
    )
    assert read.status == 207
    assert read.body["results"] == [
        {
            "from": {"id": tickets[0]["id"]},
            "to": [
                {
                    "toObjectId": int(contact["id"]),
                    "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": 16, "label": None}],
                }
            ],
        }
    ]
    assert read.body["errors"][0]["context"] == {"fromObjectId": [lonely["id"]]}

    contact_side = api("GET", f"/crm/v4/objects/contacts/{contact['id']}/associations/tickets").body[
        "results"
    ]
    assert [r["toObjectId"] for r in contact_side] == [int(t["id"]) for t in tickets]


def test_associations_to_archived_records_are_hidden(api, emulator, make_ticket):
    contact = emulator.create("contacts", {"email": "pat@example.com"})
    ticket = make_ticket(associations=[("contacts", contact["id"])])
    api("DELETE", f"/crm/v3/objects/tickets/{ticket['id']}")
    assert api("GET", f"/crm/v4/objects/contacts/{contact['id']}/associations/tickets").body["results"] == []
