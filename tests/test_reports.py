"""The NPS report: % promoters minus % detractors, per period and group, from stored responses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sync.reports import category, format_report, nps_report, parse_day

T = datetime(2026, 11, 10, 12, tzinfo=UTC)


def response(
    score: Any, day: int = 10, company: str | None = "Acme", survey: str = "NPS", name: str = "Q4"
) -> tuple[dict[str, Any], datetime]:
    record = {
        "hs_value": score,
        "hs_survey_type": survey,
        "hs_survey_name": name,
        "hs_submission_timestamp": datetime(2026, 11, day, 12, tzinfo=UTC).isoformat(),
        "company": {"name": company} if company else None,
    }
    return record, T


def test_categories() -> None:
    assert [category(s) for s in (0, 6, 7, 8, 9, 10)] == ["detractors"] * 2 + ["passives"] * 2 + [
        "promoters"
    ] * 2


def test_nps_is_promoters_minus_detractors_percent() -> None:
    records = [response(s) for s in ("10", "9", "9", "8", "3", "0")]
    (row,) = nps_report(records, since=None, until=None, period="month", by=None, zone=UTC)
    assert (row.period, row.promoters, row.passives, row.detractors, row.responses) == ("2026-11", 3, 1, 2, 6)
    assert row.nps == round(100 * (3 - 2) / 6, 1)


def test_bad_values_and_other_surveys_do_not_count() -> None:
    records = [
        response("N/A"),
        response("11"),
        response("7.5"),
        response(None),
        response("5", survey="CSAT"),
        response("10"),
    ]
    (row,) = nps_report(records, since=None, until=None, period="all", by=None, zone=UTC)
    assert (row.responses, row.nps) == (1, 100.0)


def test_grouping_periods_and_range() -> None:
    records = [
        response("10", 3, "Acme"),
        response("0", 3, "Beta"),
        response("9", 20, None),
        response("2", 28, "Acme"),
    ]
    rows = nps_report(
        records,
        since=datetime(2026, 11, 2, tzinfo=UTC),
        until=datetime(2026, 11, 25, tzinfo=UTC),
        period="week",
        by="company",
        zone=UTC,
    )
    assert [(r.period, r.group, r.nps) for r in rows] == [
        ("2026-W45", "Acme", 100.0),
        ("2026-W45", "Beta", -100.0),
        ("2026-W47", "(no company)", 100.0),
    ]
    by_survey = nps_report(
        [response("10", name="Q4"), response("1", name="Onboarding")],
        since=None,
        until=None,
        period="all",
        by="survey",
        zone=UTC,
    )
    assert [(r.group, r.nps) for r in by_survey] == [("Onboarding", -100.0), ("Q4", 100.0)]
    assert "Onboarding" in format_report(by_survey)


def test_until_a_bare_day_is_inclusive() -> None:
    assert parse_day("2026-11-30", UTC, end=True) == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_day("2026-11-30T06:00:00Z", UTC, end=True) == datetime(2026, 11, 30, 6, tzinfo=UTC)


@given(st.lists(st.integers(0, 10), min_size=1, max_size=200))
def test_nps_is_bounded_and_counts_add_up(scores: list[int]) -> None:
    (row,) = nps_report(
        [response(str(s)) for s in scores], since=None, until=None, period="all", by=None, zone=UTC
    )
    assert row.responses == len(scores) == row.promoters + row.passives + row.detractors
    assert -100.0 <= row.nps <= 100.0
    assert row.nps == round(
        100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores), 1
    )


def test_empty_range() -> None:
    assert (
        format_report(nps_report([], since=T, until=T + timedelta(days=1), period="month", by=None, zone=UTC))
        == "No NPS responses in that range."
    )
