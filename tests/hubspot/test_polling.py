"""Polling feedback submissions through the served sandbox: shape, paging, cursor, overlap, calls."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from typing import Any
from unittest.mock import ANY

import pytest

from rules.durations import Duration
from rules.model import Stream
from sync.connectors.hubspot import HubSpotConnector, WhereError, check_stream
from sync.connectors.hubspot.settings import HubSpotSettings
from sync.connectors.hubspot.where import Condition, parse_where
from tests.hubspot.conftest import T0, Portal, TimedPortal, all_records, owed
from tests.hubspot.test_delivery import ticket_payload


def test_records_carry_contact_company_analyst_and_ticket(
    connector: HubSpotConnector, portal: Portal, stream: Stream
) -> None:
    analyst = portal.analyst()
    full = portal.submission(portal.customer(analyst), 3, modified=T0)
    lonely = portal.submission(portal.customer(company=False), 5, modified=T0 + timedelta(seconds=1))
    no_email = portal.submission(portal.customer(email=None), 6, modified=T0 + timedelta(seconds=2))
    orphan = portal.submission(None, 2, modified=T0 + timedelta(seconds=3), content=None)
    portal.submission(portal.customer(analyst), 1, survey="CSAT", modified=T0)

    records = {r["id"]: r for r in all_records(connector.poll(stream, None))}

    assert list(records) == [full, lonely, no_email, orphan]  # ascending, CSAT filtered out by `where`
    record = records[full]
    contact, company = record["contact"], record["company"]
    assert record == {
        "id": full,
        "hs_value": "3",
        "hs_survey_type": "NPS",
        "hs_content": "Billing is slow",
        "hs_submission_timestamp": "2026-03-02T09:00:00.000Z",
        "hs_contact_id": contact["id"],
        "hs_survey_id": None,
        "hs_survey_name": None,
        "hs_lastmodifieddate": "2026-03-02T09:00:00.000Z",
        "contact": {
            "id": contact["id"],
            "email": contact["email"],
            "firstname": contact["firstname"],
            "lastname": "Doe",
        },
        "company": {"id": company["id"], "name": company["name"], "cs_business_analyst": analyst["id"]},
        "analyst": {"id": analyst["id"], "email": analyst["email"], "firstName": "Ana", "lastName": "Lyst"},
        "ticket": None,
    }
    assert records[lonely]["contact"] is not None
    assert records[lonely]["company"] is None and records[lonely]["analyst"] is None
    assert records[no_email]["contact"]["email"] is None
    assert records[no_email]["company"] is not None and records[no_email]["analyst"] is None
    assert records[orphan]["contact"] is None and records[orphan]["hs_content"] is None


def test_paging_restarts_before_the_search_cap_without_losing_or_repeating(
    make_connector: Any, portal: Portal, stream: Stream, sandbox_server: Any
) -> None:
    contact = portal.customer()
    # 250 submissions over 50 timestamps (5 share each), so restarts land inside runs of equal timestamps.
    made = [portal.submission(contact, n % 11, modified=T0 + timedelta(seconds=n // 5)) for n in range(250)]
    connector = make_connector(page_size=40, search_cap=120)

    pages = list(connector.poll(stream, None))

    ids = [r["id"] for r in all_records(pages)]
    assert sorted(ids, key=int) == made and len(set(ids)) == len(ids) == 250
    moments = [(r["hs_lastmodifieddate"], int(r["id"])) for r in all_records(pages)]
    assert moments == sorted(moments)
    searches = [r for r in sandbox_server.sandbox.requests() if r["path"].endswith("/search")]
    assert 250 // 40 < len(searches) - 1 <= 10  # the query restarted (some records read twice), calls once
    assert pages[-1].cursor["modified"] == "2026-03-02T09:00:49.000Z"


def test_a_poll_resumes_after_a_crash_between_pages(
    make_connector: Any, portal: Portal, stream: Stream, settings: HubSpotSettings
) -> None:
    contact = portal.customer()
    made = [portal.submission(contact, 4, modified=T0 + timedelta(seconds=n // 3)) for n in range(100)]
    connector = make_connector(settings=settings.model_copy(update={"overlap": Duration()}), page_size=25)

    polling = connector.poll(stream, None)
    committed = [next(polling), next(polling)]  # the engine committed two pages, then the worker died
    polling.close()
    resumed = list(connector.poll(stream, committed[-1].cursor))

    seen = {r["id"] for r in all_records(committed + resumed)}
    assert seen == set(made)
    repeated = {r["id"] for r in all_records(committed)} & {r["id"] for r in all_records(resumed)}
    assert all(  # only records at the committed cursor's own timestamp are read again
        r["hs_lastmodifieddate"] == committed[-1].cursor["modified"]
        for r in all_records(resumed)
        if r["id"] in repeated
    )


def test_the_overlap_catches_records_indexed_late(timed_portal: TimedPortal, stream: Stream) -> None:
    """Late-indexed records (an older modification time) within the overlap are read next poll,
    measured on HubSpot's clock even when the worker's runs an hour behind."""
    portal, connector = timed_portal.portal, timed_portal.connector
    timed_portal.worker_now[0] = T0 - timedelta(hours=1)
    contact = portal.customer()
    portal.submission(contact, 3, modified=T0)
    cursor = list(connector.poll(stream, None))[-1].cursor
    timed_portal.clock.advance(minutes=1)
    late = portal.submission(contact, 2, modified=T0 - timedelta(minutes=5))  # within the 10m overlap
    lost = portal.submission(contact, 2, modified=T0 - timedelta(minutes=30))

    ids = {r["id"] for r in all_records(connector.poll(stream, cursor))}

    assert late in ids and lost not in ids


@pytest.mark.parametrize("worker_skew", [timedelta(0), timedelta(hours=-2), timedelta(hours=2)])
def test_an_idle_poll_after_a_burst_reads_the_overlap_window_only(
    timed_portal: TimedPortal, stream: Stream, worker_skew: timedelta
) -> None:
    """The next poll starts an overlap before the previous one began on HubSpot's clock (its ``Date``
    header), not before the newest record, and not on a worker clock that disagrees with HubSpot's."""
    portal, connector, clock = timed_portal.portal, timed_portal.connector, timed_portal.clock
    contact = portal.customer()
    burst = {portal.submission(contact, 4, modified=T0 - timedelta(hours=3)) for _ in range(30)}
    timed_portal.worker_now[0] = T0 + worker_skew
    pages = list(connector.poll(stream, None))
    assert {r["id"] for r in all_records(pages)} == burst
    for _ in range(3):
        clock.advance(minutes=5)
        timed_portal.worker_now[0] = clock.now + worker_skew
        pages = list(connector.poll(stream, pages[-1].cursor))
        assert all_records(pages) == []  # not the burst again, cycle after cycle
    fresh = portal.submission(contact, 2, modified=clock.now - timedelta(minutes=3))
    clock.advance(minutes=5)
    timed_portal.worker_now[0] = clock.now + worker_skew
    assert [r["id"] for r in all_records(connector.poll(stream, pages[-1].cursor))] == [fresh]


def test_a_call_logged_on_a_crm_sync_ticket_re_emits_its_submission(
    connector: HubSpotConnector, portal: Portal, stream: Stream, hubspot: Any
) -> None:
    analyst = portal.analyst()
    sid = portal.submission(portal.customer(analyst), 2, modified=T0 - timedelta(days=3))
    other = portal.submission(portal.customer(analyst), 2, modified=T0 - timedelta(days=3))
    [ticket] = connector.deliver([owed("create_ticket", sid, ticket_payload(analyst))])
    stranger = hubspot.create(
        "tickets", {"subject": "not ours", "hs_pipeline_stage": "1"}, [("feedback_submissions", other)]
    )
    first = list(connector.poll(stream, None))
    owner = {"id": analyst["id"], **{k: analyst[k] for k in ("email", "firstName", "lastName")}}
    stage = {"hs_pipeline_stage": ANY, "closed_date": None}  # the shipped config reads them for reports
    assert [r["ticket"] for r in all_records(first)] == [
        {"id": ticket.crm_id, "calls_logged": 0, "owner": owner, **stage},
        None,
    ]
    cursor = {
        **first[-1].cursor,
        "modified": "2026-03-02T09:00:00.000Z",
    }  # days later: both submissions are old
    assert all_records(connector.poll(stream, cursor)) == []

    hubspot.create(
        "calls",
        {"hs_timestamp": "2026-03-03T10:00:00Z", "hs_call_title": "Left a voicemail"},
        [("tickets", ticket.crm_id)],
    )
    hubspot.create("calls", {"hs_timestamp": "2026-03-03T10:00:00Z"}, [("tickets", stranger["id"])])
    pages = list(connector.poll(stream, cursor))

    [record] = all_records(pages)
    assert record["id"] == sid
    assert record["ticket"] == {"id": ticket.crm_id, "calls_logged": 1, "owner": owner, **stage}
    assert record["analyst"]["id"] == analyst["id"]
    assert all_records(connector.poll(stream, pages[-1].cursor)) == [
        record
    ]  # within the overlap: same snapshot


def test_where_clauses() -> None:
    assert parse_where("hs_survey_type = NPS") == (Condition("hs_survey_type", "NPS"),)
    assert parse_where("a = 'x y' AND b != \"z\"") == (
        Condition("a", "x y"),
        Condition("b", "z", negated=True),
    )
    assert parse_where(None) == ()
    assert Condition("a", "nps").matches({"a": "NPS"}) and Condition("a", "x", negated=True).matches({})
    for bad in (
        "a = 1 or b = 2",
        "a > 3",
        "a = 1 and",
        "a in (1, 2)",
        " and ".join(f"p{n} = 1" for n in range(6)),
    ):
        with pytest.raises(WhereError):
            parse_where(bad)


def test_build_refuses_streams_it_cannot_poll(stream: Stream) -> None:
    with pytest.raises(WhereError, match=r"hubspot\.nps.*or b = 2"):
        check_stream(dataclasses.replace(stream, where="a = 1 or b = 2"))
    for path, problem in (
        ("contact.company.name", "contact.company is not a declared relation"),
        ("deal.amount", "deal is not a declared relation (relations: contact, company, analyst, ticket,"),
        ("analyst.phone", "analyst is an owner, with archived, createdAt, email,"),
        ("ticket.calls_logged.total", "ticket.calls_logged is a count, it has no fields"),
        ("company", "names the relation company: list what it carries, e.g. company.id"),
    ):
        with pytest.raises(ValueError, match=re.escape(f"stream hubspot.nps: field {path!r}")) as raised:
            check_stream(dataclasses.replace(stream, fields=(*stream.fields, path)))
        assert problem in str(raised.value)


def test_a_re_read_record_stored_at_its_modification_time_is_not_enriched_again(
    timed_portal: TimedPortal, stream: Stream
) -> None:
    """The overlap re-reads the last poll's records; the ones the store holds at the same
    modification time cost their search page only, never the related-object reads again."""
    portal, connector, clock = timed_portal.portal, timed_portal.connector, timed_portal.clock
    contact = portal.customer()
    burst = [portal.submission(contact, 4, modified=T0 - timedelta(minutes=2)) for _ in range(30)]
    pages = list(connector.poll(stream, None))
    snapshots = {r["id"]: r for r in all_records(pages)}
    asked: list[str] = []

    def stored(ids: Any) -> dict[str, Any]:
        asked.extend(ids)
        return {rid: snapshots[rid] for rid in ids if rid in snapshots}

    def poll_paths(stored: Any) -> tuple[list[str], list[str]]:
        before = len(timed_portal.sandbox.requests())
        records = all_records(connector.poll(stream, pages[-1].cursor, stored))
        return [r["id"] for r in records], [r["path"] for r in timed_portal.sandbox.requests()[before:]]

    clock.advance(minutes=5)
    ids, paths = poll_paths(stored)
    assert ids == [] and sorted(asked) == sorted(burst)
    assert paths and all(path.endswith("/search") for path in paths)  # no enrichment at all

    changed = burst[0]
    snapshots[changed] = {**snapshots[changed], "hs_lastmodifieddate": "2000-01-01T00:00:00Z"}
    ids, paths = poll_paths(stored)
    assert ids == [changed]  # only the one stored at another time is enriched and handed over
    assert not all(path.endswith("/search") for path in paths)

    ids, _ = poll_paths(None)  # without a store: the whole overlap, enriched
    assert sorted(ids) == sorted(burst)
