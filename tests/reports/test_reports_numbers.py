"""Each report computed from the seeded history (tests/reports/seed.py), checked against numbers worked
out by hand from that seed."""

from __future__ import annotations

from datetime import UTC

from sync.reports.kpi import metrics
from sync.reports.loop import TicketMade, loop_report
from sync.reports.sla import sla_report
from sync.reports.sli import sli_report
from sync.reports.window import between, iso_week
from tests.reports.seed import NOW, at, detractors, history, response, sli, slis

W48 = iso_week("2026-W48", UTC)  # Mon 23 Nov to Mon 30 Nov; the week before is 16-23 Nov


def test_sli_dashboard_current_and_prior_week() -> None:
    report = sli_report(slis(), W48, NOW, by="region")
    summary = {row[0]: row[1:] for row in report.table("summary").rows}
    assert summary["opened"] == (2, 3)  # A, B in W48; C, D, E the week before
    assert summary["resolved"] == (2, 0)  # A turned Green on 27 Nov, E Red on 24 Nov
    assert summary["hours to a plan (median)"] == (20.5, 6.0)  # (11 + 30) / 2; (0 + 12) / 2, C has none
    assert summary["planned within 24 h (%)"] == (50.0, 66.7)  # A of A, B; D, E of C, D, E
    assert summary["open now"][0] == 3  # B, C, D
    assert summary["overdue now"][0] == 1  # C (D has an exception, B's 30 days run from 25 Nov)
    assert report.table("by_group").dicts() == [
        {"region": "North", "opened": 2, "opened before": 1, "resolved": 2, "open now": 1, "overdue now": 0},
        {"region": "South", "opened": 0, "opened before": 2, "resolved": 0, "open now": 2, "overdue now": 1},
    ]
    colours = {row[0]: row[1:] for row in report.table("open_by_colour").rows}
    assert colours["Orange"] == (2, 0) and colours["Yellow"] == (1, 0) and colours["(not set)"] == (0, 3)
    assert report.table("overdue").rows == (("C - Rude", "Miami", "South", "2026-10-20", 41),)
    assert report.table("volume").rows == (
        ("referral account", "Ref1", 2),
        ("client", "C1", 1),
        ("client", "C2", 1),
        ("office", "Boston", 2),
    )


def test_sli_filters_and_grouping() -> None:
    south = sli_report(slis(), W48, NOW, region="south", by="office")
    assert {r[0]: r[1:] for r in south.table("summary").rows}["opened"] == (0, 2)
    assert [r[0] for r in south.table("by_group").rows] == ["Miami"]
    boston = sli_report(slis(), W48, NOW, office="Boston", by="referral_account")
    assert boston.table("by_group").dicts()[0]["referral_account"] == "Ref1"
    assert "Boston" in boston.title


def test_close_the_loop() -> None:
    report = loop_report(detractors(), between(at(2), at(30), UTC), NOW, by="owner")
    assert report.table("summary").rows == (
        # d1, d2, d3 responded in the window; d4 before it; p1 is a promoter
        ("response to ticket", 3, 3, 0.2, 100.0, 100.0),  # 5, 30 and 10 minutes
        ("response to first call", 3, 2, 37.0, 50.0, 50.0),  # 20 h and 54 h; d3 is 24 h old: undecided
        ("response to close", 3, 1, 48.0, 0.0, 50.0),  # d1 closed at 48 h; d2 open 6 days
    )
    assert report.table("by_group").rows == (
        ("ana@example.com", 2, 1, 100.0),
        ("ben@example.com", 1, 0, 0.0),
    )
    assert report.table("open_tickets").rows == (
        ("ben@example.com", 2, 1, 60),  # d2 (called) and d4 (no call, from 1 Oct)
        ("ana@example.com", 1, 1, 1),  # d3
    )
    chart = report.charts[0]
    assert chart.series[0].values == (1.0, 0.0, 1.0, 0.0, 0.0)  # 20 h and 54 h


def test_loop_by_company() -> None:
    report = loop_report(detractors(), between(at(2), at(30), UTC), NOW, by="company")
    assert [r[0] for r in report.table("open_tickets").rows] == ["Beta", "Acme"]


def test_sla_compliance_and_trend() -> None:
    report = sla_report(slis(), detractors(), between(at(16), at(30), UTC), NOW, UTC, weeks=2)
    rows = report.table("compliance").rows
    assert [r[3:] for r in rows] == [
        (3, 2, 0, 60.0, "66.7 50"),  # planned: A, D, E met; B (30 h) and C (none) breached
        (2, 0, 1, 100.0, "100 100"),  # resolved: A, E met; B open; C, D's incidents are before the window
        (1, 1, 1, 50.0, "100 0"),  # called: d1 met, d2 breached, d3 open
    ]
    assert report.table("compliance").columns[-1] == "weekly % (2026-W47..2026-W48)"


def test_kpi_metrics_on_the_rolling_window() -> None:
    recent = [(10, 3), (9, 5), (9, 8), (3, 20), (7, 22)]  # (score, day in November)
    earlier = [(10, 5), (10, 15), (9, 25), (9, 30), (2, 20)]  # (score, day in October)
    histories = [
        history(f"r{i}", [(at(day), response(score, at(day)))]) for i, (score, day) in enumerate(recent)
    ] + [
        history(f"o{i}", [(at(day, month=10), response(score, at(day, month=10)))])
        for i, (score, day) in enumerate(earlier)
    ]
    m = metrics(histories, NOW)
    assert (m.nps_28d, m.nps_baseline, m.responses_28d) == (40.0, 60.0, 5)  # (3-1)/5, (4-1)/5
    assert m.nps_change == -33.3  # (40 - 60) / 60
    assert m.detractor_share_28d == 20.0
    assert m.loop_share_48h == 0.0  # the one detractor (20 Nov) had no call within 48 hours
    assert metrics([], NOW).nps_28d is None


def test_the_ledger_tells_when_a_ticket_was_made_before_the_response_is_read_again() -> None:
    """crm-sync's ticket is not seen on the response until it is re-read: the ledger's delivery counts."""
    fresh = history("d5", [(at(27, 9), response(4, at(27, 9), None, "Gamma"))])
    made = {fresh.key: TicketMade(at(27, 9, 30), "cara@example.com")}
    report = loop_report([fresh], between(at(2), at(30), UTC), NOW, by="owner", tickets=made)
    assert report.table("summary").rows[0] == ("response to ticket", 1, 1, 0.5, 100.0, 100.0)
    assert report.table("open_tickets").rows == (("cara@example.com", 1, 1, 3),)
    assert loop_report([fresh], between(at(2), at(30), UTC), NOW).table("open_tickets").rows == ()


def test_an_sli_resolved_before_it_was_first_seen_counts_from_its_last_modification() -> None:
    """A backfill sees SLIs already resolved: they were resolved by their SystemModstamp at the latest."""
    record = sli(
        "F - Old",
        at(2),
        "North",
        "Boston",
        None,
        "C6",
        Client_Status__c="Green",
        SystemModstamp="2026-11-05T10:00:00.000+0000",
        Intervention_Plan__c="Done",
    )
    report = sli_report([history("f", [(at(29, 9), record)])], iso_week("2026-W45", UTC), NOW)
    summary = {row[0]: row[1:] for row in report.table("summary").rows}
    assert summary["resolved"] == (1, 0)  # 5 Nov, not the 29 Nov sighting
    assert summary["hours to a plan (median)"] == (82.0, None)  # 2 Nov 00:00 to 5 Nov 10:00: 3 days 10 h
