"""Scheduled rules on a real store: a weekly digest per region goes out once per week across restarts;
a drift alert fires once when the metric crosses, and again only after it recovered and crossed again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from rules.schedule import Every, crossing
from rules.source import ConfigErrors
from sync.connectors.registry import load_config
from sync.inspect.common import InspectError
from sync.inspect.scheduled import explain_scheduled, format_scheduled
from sync.store.tables import TrackedRecord
from tests.conftest import BASE_CONFIG, TEMPLATES
from tests.engine.harness import Harness, build_harness
from tests.support import T0, Clock

BASE = BASE_CONFIG + "\n  lead:\n    address: lead@example.com\n"
FIELDS = "        - Office__r.Region__r.Name\n"
SLI_BASE = BASE.replace(
    "        - Office__r.Regional_Director__r.IsActive\n",
    "        - Office__r.Regional_Director__r.IsActive\n" + FIELDS,
)
DIGEST_TEMPLATES = {
    **TEMPLATES,
    "report_digest.txt": "{{ group or 'All regions' }}, {{ period }}:\n{{ report_text }}",
    "report_digest.html": "<h2>{{ group }}</h2>{{ report_html | safe }}",
    "kpi_drift.txt": "NPS over 28 days is {{ metric.nps_28d }} (baseline {{ metric.nps_baseline }}).",
}
DIGEST = """
rules: []
scheduled:
  - id: weekly-sli-review
    every: "mon 08:00"
    per: region
    report: {kind: sli, by: office, period: last_week}
    via: salesforce
    notify:
      to: [director]
      subject: "SLI review {{ group }}, {{ period }}"
      template: report_digest
"""
DRIFT = """
rules: []
scheduled:
  - id: nps-drift
    watch: metrics
    when: "metric.nps_28d is not none and metric.nps_28d < 50"
    until: "metric.nps_28d is not none and metric.nps_28d >= 60"
    via: salesforce
    notify:
      to: [lead]
      subject: "NPS drift: {{ metric.nps_28d }}"
      template: kpi_drift
"""


def _seed(h: Harness, stream: str, records: list[tuple[str, dict[str, Any], datetime]]) -> None:
    with h.store.transaction() as tx:
        for record_id, snapshot, seen in records:
            tx.records.save(
                TrackedRecord(
                    key=f"{stream}:{record_id}",
                    stream=stream,
                    record_id=record_id,
                    snapshot=snapshot,
                    first_seen=seen,
                    last_seen=seen,
                )
            )


def _sli(n: int, region: str, director: str, created: datetime) -> dict[str, Any]:
    return {
        "Name": f"Client {n} - Late",
        "CreatedDate": created.isoformat(),
        "Office__r": {
            "Name": f"{region} office",
            "Regional_Director__c": f"005{region[0]}",
            "Regional_Director__r": {"Email": director, "IsActive": True},
            "Region__r": {"Name": region},
        },
    }


@pytest.fixture
def make(write_config: Callable[..., Path], database_url: str, clock: Clock) -> Callable[[str], Harness]:
    def build(extra: str) -> Harness:
        return build_harness(
            write_config(extra, base=SLI_BASE, templates=DIGEST_TEMPLATES), database_url, clock
        )

    return build


def test_a_weekly_digest_per_region_goes_out_once_per_week_across_restarts(
    make: Callable[[str], Harness], clock: Clock
) -> None:
    h = make(DIGEST)
    week_before = T0 - timedelta(days=5)  # T0 is Monday 9:00; these SLIs were opened the week before
    _seed(
        h,
        "salesforce.sli",
        [
            ("1", _sli(1, "North", "north@example.com", week_before), week_before),
            ("2", _sli(2, "North", "north@example.com", week_before), week_before),
            ("3", _sli(3, "South", "south@example.com", week_before), week_before),
        ],
    )
    h.cycle()  # Monday 9:00: this Monday's 8:00 slot is due
    emails = h.crm.writes_of("notify")
    assert sorted((e["to"]["email"], e["subject"]) for e in emails) == [
        ("north@example.com", "SLI review North, 2026-W09"),
        ("south@example.com", "SLI review South, 2026-W09"),
    ]
    north = next(e for e in emails if e["to"]["email"] == "north@example.com")
    assert "North office" in north["text"] and "South office" not in north["text"]
    assert "<table" in north["html"]
    clock.advance(hours=3)
    h.cycle()
    h.store.close()
    again = make(DIGEST)  # a restart: a new worker on the same store
    clock.advance(days=6, hours=19, minutes=59)  # Monday 7:59 next week: not yet
    again.cycle()
    assert len(again.crm.writes_of("notify")) == 0
    assert len(again.actions()) == 2  # the ledger still holds the first week's two, nothing more
    clock.advance(minutes=2)
    again.cycle()
    slots = sorted(o.occurrence for o in again.outcomes())
    assert slots == [f"2026-03-{d}T08:00:00+00:00:{r}" for d in ("02", "09") for r in ("North", "South")]
    assert len(again.actions()) == 4
    assert len(again.crm.writes_of("notify")) == 2
    with again.store.transaction() as tx:
        story = explain_scheduled(tx, again.ruleset, "schedule:weekly-sli-review", clock())
    text = format_scheduled(story, UTC)
    assert "2026-03-09T08:00:00+00:00:South" in text and "email to south@example.com: delivered" in text
    assert "next slot 2026-03-16 08:00 UTC" in text
    again.store.close()


def _response(n: int, score: int, at: datetime) -> tuple[str, dict[str, Any], datetime]:
    return (
        f"r{n}",
        {"hs_value": str(score), "hs_survey_type": "NPS", "hs_submission_timestamp": at.isoformat()},
        at,
    )


def test_a_drift_alert_fires_once_per_crossing(make: Callable[[str], Harness], clock: Clock) -> None:
    h = make(DRIFT)
    counter = iter(range(1000))

    def add(*scores: int) -> None:
        _seed(h, "hubspot.nps", [_response(next(counter), s, clock() - timedelta(days=1)) for s in scores])
        clock.advance(minutes=5)
        h.cycle()

    def alerts() -> int:
        return len(h.actions())

    add(10, 10, 10, 10)  # NPS 100
    assert alerts() == 0
    add(0, 0)  # (4 - 2) / 6 = 33.3: crossed below 50
    assert alerts() == 1
    (email,) = h.crm.writes_of("notify")
    assert email["to"]["email"] == "lead@example.com" and email["subject"] == "NPS drift: 33.3"
    add()  # the same level: no second alert
    add(10, 10, 10)  # (7 - 2) / 9 = 55.6: above 50 but not recovered (60)
    add(0, 0)  # (7 - 4) / 11 = 27.3: still the same crossing
    assert alerts() == 1
    h.store.close()
    h = make(DRIFT)  # a restart keeps where the crossing stands
    add(*[10] * 10)  # (17 - 4) / 21 = 61.9: recovered
    assert alerts() == 1
    add(*[0] * 10)  # (17 - 14) / 31 = 9.7: crossed again
    assert alerts() == 2
    states = sorted(o.state for o in h.outcomes())
    assert states == ["fired", "recovered"]
    with h.store.transaction() as tx:
        story = explain_scheduled(tx, h.ruleset, "metrics:nps-drift", clock())
    assert [e["state"] for e in story["history"]] == ["recovered", "fired"]
    assert story["now"]["when"] is True and story["now"]["metrics"]["nps_28d"] == 9.7
    with pytest.raises(InspectError, match="no scheduled rule"), h.store.transaction() as tx:
        explain_scheduled(tx, h.ruleset, "schedule:nps-drift", clock())
    h.store.close()


def test_crossing_and_schedule_slots() -> None:
    assert crossing(None, breached=True, recovered=False) == "fire"
    assert crossing("fired", breached=True, recovered=False) is None
    assert crossing("fired", breached=False, recovered=False) is None
    assert crossing("fired", breached=False, recovered=True) == "recover"
    assert crossing("recovered", breached=True, recovered=False) == "fire"
    every = Every.parse("Mon 08:00")
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    monday_7am_ny = datetime(2026, 3, 9, 11, 0, tzinfo=UTC)  # 07:00 EDT (DST began 8 March)
    assert every.last(monday_7am_ny, ny) == datetime(2026, 3, 2, 8, tzinfo=ny)
    assert every.last(monday_7am_ny + timedelta(hours=1), ny) == datetime(2026, 3, 9, 8, tzinfo=ny)
    assert Every.parse("mon,thu 7:30").days == (0, 3)
    assert Every.parse("daily 06:00").days == tuple(range(7))
    for bad in ("monday 08:00", "mon 25:00", "mon"):
        with pytest.raises(ValueError):
            Every.parse(bad)


def test_bad_scheduled_rules_are_located_errors(write_config: Callable[..., Path]) -> None:
    bad = DIGEST.replace('"mon 08:00"', '"someday 08:00"').replace("via: salesforce", "via: zoho")
    bad = bad.replace("by: office", "by: owner")
    with pytest.raises(ConfigErrors) as info:
        load_config(write_config(bad, base=SLI_BASE, templates=DIGEST_TEMPLATES))
    text = "\n".join(str(e) for e in info.value.errors)
    assert "scheduled[0].every" in text and "someday" in text
    assert "scheduled[0].via" in text and "zoho" in text
    assert "scheduled[0].report.by" in text
    with pytest.raises(ConfigErrors) as info:
        load_config(write_config(DIGEST, base=BASE, templates=DIGEST_TEMPLATES))  # no region field
    assert (
        "scheduled[0].per: per: region reads Office__r.Region__r.Name: add it to salesforce.streams.sli.fields"
        in str(info.value.errors[0])
    )
    drift = DRIFT.replace("to: [lead]", "to: [director]").replace("metric.nps_28d < 50", "metric.nps < 50 +")
    with pytest.raises(ConfigErrors) as info:
        load_config(write_config(drift, base=SLI_BASE, templates=DIGEST_TEMPLATES))
    text = "\n".join(str(e) for e in info.value.errors)
    assert "scheduled[0].when" in text
    assert "a metric rule sends to fixed addresses" in text


def test_a_metric_rule_with_every_checks_once_per_slot(make: Callable[[str], Harness], clock: Clock) -> None:
    h = make(DRIFT.replace("watch: metrics", 'watch: metrics\n    every: "daily 08:00"'))
    day = clock() - timedelta(days=1)
    _seed(h, "hubspot.nps", [_response(n, 0, day) for n in range(3)])
    h.cycle()  # Monday 9:00: the 8:00 check is due; NPS -100
    assert len(h.actions()) == 1
    _seed(h, "hubspot.nps", [_response(n, 10, day) for n in range(3, 20)])  # NPS 70: recovered
    clock.advance(hours=3)
    h.cycle()  # the day's check is done: the recovery is not seen yet
    assert sorted(o.state for o in h.outcomes()) == ["checked", "fired"]
    clock.advance(hours=20)  # Tuesday 8:00
    h.cycle()
    assert sorted(o.state for o in h.outcomes()) == ["checked", "recovered"]
    assert len(h.actions()) == 1
    h.store.close()
