"""What delivery may take from the last poll instead of reading again: fresh, bounded, never a deleted record."""

from __future__ import annotations

from sync.connectors.hubspot.context import Anchors
from sync.connectors.hubspot.seen import SeenRecords
from sync.connectors.hubspot.settings import HubSpotStreamSettings
from sync.connectors.hubspot.shape import RecordShape

SETTINGS = HubSpotStreamSettings.model_validate(
    {
        "object": "feedback_submissions",
        "fields": ["contact.email", "company.name"],
        "relations": {
            "contact": {"object": "contacts", "via": "hs_contact_id"},
            "company": {"object": "companies", "from": "contact", "primary": True},
        },
    }
)
ANCHORS = Anchors.of(SETTINGS)
FULL = RecordShape.build("feedback_submissions", SETTINGS.relations, ["contact.email", "company.name"])


def record(n: int, company: bool = True) -> dict[str, object]:
    return {"id": str(n), "contact": {"id": f"c{n}"}, "company": {"id": f"k{n}"} if company else None}


def test_fresh_records_come_with_their_links_until_the_window_ends() -> None:
    now = [0.0]
    seen = SeenRecords(lambda: now[0])
    seen.remember("hubspot.nps", ANCHORS, FULL, [record(1), record(2, company=False)])
    assert seen.fresh("hubspot.nps", ["1", "2", "3"]) == {
        "1": {"contacts": "c1", "companies": "k1"},
        "2": {"contacts": "c2", "companies": None},
    }
    now[0] = 301
    assert set(seen.fresh("hubspot.nps", ["1", "2"])) == {"1", "2"}  # the same cycle's long delivery
    seen.forget("hubspot.nps")  # the next poll of the stream
    assert seen.fresh("hubspot.nps", ["1", "2"]) == {}
    seen.remember("hubspot.nps", ANCHORS, FULL, [record(1)])
    now[0] = 301 + 301
    assert set(seen.fresh("hubspot.nps", ["1"])) == {"1"}
    now[0] = 301 + 3601
    assert seen.fresh("hubspot.nps", ["1"]) == {}


def test_a_deleted_record_is_forgotten_and_memory_is_bounded() -> None:
    seen = SeenRecords(lambda: 0.0, capacity=3)
    seen.remember("hubspot.nps", ANCHORS, FULL, [record(n) for n in range(1, 6)])
    assert set(seen.fresh("hubspot.nps", [str(n) for n in range(1, 6)])) == {"3", "4", "5"}
    seen.remember("hubspot.nps", ANCHORS, FULL, [], deleted_ids=["4"])
    assert set(seen.fresh("hubspot.nps", ["3", "4", "5"])) == {"3", "5"}


def test_a_poll_that_did_not_resolve_every_link_teaches_nothing() -> None:
    only_record = RecordShape.build("feedback_submissions", SETTINGS.relations, ["hs_value"])
    seen = SeenRecords(lambda: 0.0)
    seen.remember("hubspot.nps", ANCHORS, only_record, [{"id": "1", "hs_value": "3"}])
    assert seen.fresh("hubspot.nps", ["1"]) == {}
