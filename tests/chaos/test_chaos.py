"""Chaos: the worker SIGKILLed at random points of its cycles while both CRMs fail in the ways they do,
then checked from the CRMs' side: every owed effect exactly once, none spurious.

``make test`` runs a short seeded version; ``CRM_SYNC_CHAOS_KILLS=200 pytest tests/chaos -s`` the long
one (``CRM_SYNC_CHAOS_SEED`` picks another scenario, ``CRM_SYNC_CHAOS_REPORT=FILE`` keeps the summary).
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.chaos.driver import ROOT, Driver, Outcome
from tests.chaos.observed import observe
from tests.chaos.oracle import CATEGORIES, expected
from tests.chaos.scenario import Profile, generate, long_profile, short_profile
from tests.chaos.verdict import KNOWN, Verdict, judge
from tests.chaos.world import World

pytestmark = pytest.mark.e2e

KILLS = os.environ.get("CRM_SYNC_CHAOS_KILLS")
SEED = int(os.environ.get("CRM_SYNC_CHAOS_SEED", "1122"))
LONG_BUDGET_S = 19 * 60


@dataclass
class Chaos:
    outcome: Outcome
    verdict: Verdict
    summary: str


def run_chaos(profile: Profile, tmp_path: Path, budget_s: float) -> Chaos:
    """Generate, drive and judge one chaos run; prints (and, if asked, writes) its summary."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    scenario = generate(profile, start)
    world = World.serve(scenario, tmp_path / "tls")
    try:
        driver = Driver(world, ROOT / "config.yaml", f"sqlite:///{tmp_path / 'crm-sync.db'}", print)
        outcome = driver.run(deadline=time.monotonic() + budget_s)
        owed = expected(scenario, world.applied, outcome.steps_done)
        verdict = judge(world, owed, observe(world), outcome)
    finally:
        world.close()
    lines = scenario.lines() + outcome.lines() + driver.faults.lines() + verdict.lines()
    summary = "\n".join(lines)
    print(summary)
    if report := os.environ.get("CRM_SYNC_CHAOS_REPORT"):
        Path(report).write_text(summary + "\n")
    return Chaos(outcome, verdict, summary)


def known_summary(verdict: Verdict) -> str:
    return "; ".join(f"{KNOWN[name]} ({count}x)" for name, count in sorted(verdict.known.items()))


def test_short_chaos_run_every_owed_effect_once_none_spurious(tmp_path: Path) -> None:
    profile = short_profile(SEED)
    chaos = run_chaos(profile, tmp_path, budget_s=300)
    assert chaos.outcome.stopped_early is None, chaos.summary
    assert len(chaos.outcome.kills) == profile.kills, chaos.summary
    assert all(chaos.verdict.rows.get(c, {}).get("owed") for c in CATEGORIES), chaos.summary  # every rule ran
    assert not chaos.verdict.unknown, chaos.summary
    if chaos.verdict.known:  # bugs being fixed elsewhere: reported here, an expected failure of the long run
        warnings.warn(f"chaos: known bugs still occur: {known_summary(chaos.verdict)}", stacklevel=1)


@pytest.mark.skipif(not KILLS, reason="the long chaos run: set CRM_SYNC_CHAOS_KILLS (e.g. 200)")
def test_long_chaos_run(tmp_path: Path) -> None:
    profile = long_profile(SEED, int(KILLS or 0))
    chaos = run_chaos(profile, tmp_path, budget_s=LONG_BUDGET_S)
    assert chaos.outcome.stopped_early is None, chaos.summary
    assert len(chaos.outcome.kills) >= profile.kills, chaos.summary
    assert not chaos.verdict.unknown, chaos.summary
    if chaos.verdict.known:
        pytest.xfail(f"known bugs being fixed: {known_summary(chaos.verdict)}")
