"""The chaos test's judge on hand-made observations: it must see a duplicate, a missing and a spurious
effect, and tell a known bug from an unknown one (no CRM, no worker: a fraction of a second)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from tests.chaos.driver import DeadAction, Outcome
from tests.chaos.observed import Observed
from tests.chaos.oracle import Expected, expected
from tests.chaos.scenario import generate, short_profile
from tests.chaos.verdict import Verdict, judge

START = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def judged(change: Any = None, outcome: Outcome | None = None) -> tuple[Verdict, Expected]:
    scenario = generate(short_profile(5), START)
    owed = expected(scenario, {event.id: event.at for event in scenario.events})
    seen = Observed()
    for key in owed.owed:
        seen.counts[key] = 1
    for key, owners in owed.owners.items():
        seen.owners[key] = [sorted(owners)[0]]
    if change:
        change(seen, owed)
    world = SimpleNamespace(scenario=scenario, slis={}, responses={}, skipped={})
    return judge(world, owed, seen, outcome or Outcome()), owed  # type: ignore[arg-type]


def test_what_is_owed_shown_once_is_no_problem() -> None:
    verdict, owed = judged()
    assert verdict.problems == [] and sum(row["once"] for row in verdict.rows.values()) == len(owed.owed)


def test_a_duplicate_a_missing_and_an_unexplained_spurious_effect_fail() -> None:
    def change(seen: Observed, owed: Expected) -> None:
        first, second = sorted(owed.owed)[:2]
        seen.counts[first] = 2
        del seen.counts[second]
        seen.counts[sorted(owed.spared)[0]] = 1

    verdict, _ = judged(change)
    assert sorted(p.kind for p in verdict.unknown) == ["duplicate", "missing", "spurious"]


def test_known_bugs_are_told_apart() -> None:
    def change(seen: Observed, owed: Expected) -> None:
        reminder = next(k for k in sorted(owed.owed) if k[0] == "sli reminder email")
        del seen.counts[reminder]
        del seen.counts[next(k for k in sorted(owed.owed) if k[0] == "nps intro logged")]
        seen.counts[spared] = 1

    scenario = generate(short_profile(5), START)
    owed = expected(scenario, {event.id: event.at for event in scenario.events})
    spared = sorted(owed.spared)[0]
    step = scenario.steps.index(owed.spared[spared].decided)
    stream = "salesforce.sli" if spared[1].startswith("sli") else "hubspot.nps"
    reminder = next(k for k in sorted(owed.owed) if k[0] == "sli reminder email")
    outcome = Outcome(
        poll_failures={step: {stream}},
        dead=[DeadAction("sli-plan-reminder-24h", reminder[1], "notify", "Salesforce 429: too many")],
    )
    verdict, _ = judged(change, outcome)
    assert verdict.unknown == []
    assert dict(verdict.known) == {"sf-429": 1, "intro-log": 1, "stale-timer": 1}
