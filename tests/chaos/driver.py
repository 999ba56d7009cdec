"""The driver: step by step, the worker (``python -m sync run --once --now STEP``) is SIGKILLed at random
points with faults injected on both CRMs, then run clean until nothing is owed."""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from subprocess import PIPE

from sync.store.database import create_store_engine
from sync.store.transaction import Store
from tests.chaos.faults import FaultLog
from tests.chaos.world import Tripwire, World

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 180.0  # a worker run longer than this is killed and reported as hung
KILL_ATTEMPTS = 6  # runs tried per planned kill (a run may finish before its kill point)
CLEAN_CYCLES = 6  # clean runs per step before the step is reported as not settling
STREAMS = ("salesforce.sli", "hubspot.nps")


@dataclass
class Run:
    """One worker process."""

    step: int
    how: str  # "clean", "request N before/after", "timer S s"
    killed: bool
    returncode: int | None
    requests: int
    seconds: float
    stderr: str


@dataclass
class DeadAction:
    rule_id: str
    record_key: str
    kind: str
    error: str


@dataclass
class Outcome:
    """What the driver did and saw."""

    runs: list[Run] = field(default_factory=list)
    poll_failures: dict[int, set[str]] = field(default_factory=dict)  # step -> streams whose poll failed
    faulted: dict[int, set[str]] = field(default_factory=dict)  # step -> CRMs a killed run met faults of
    unsettled: list[str] = field(default_factory=list)  # steps that did not reach "nothing owed"
    hung: list[str] = field(default_factory=list)
    dead: list[DeadAction] = field(default_factory=list)
    stopped_early: str | None = None
    steps_done: int = 0
    seconds: float = 0.0

    @property
    def kills(self) -> list[Run]:
        return [r for r in self.runs if r.killed]

    def lines(self) -> list[str]:
        modes = Counter(
            r.how.split(" ")[0] + (" " + r.how.split(" ")[-1] if r.how.startswith("request") else "")
            for r in self.kills
        )
        finished = [r for r in self.runs if not r.killed]
        dead = Counter(f"{d.kind}: {d.error[:90]}" for d in self.dead)
        mean = statistics.mean([r.seconds for r in self.runs] or [0])
        return [
            f"runs: {len(self.runs)} worker processes in {self.seconds:.0f}s, {len(self.kills)} SIGKILLed "
            f"({', '.join(f'{n} at a {m}' for m, n in sorted(modes.items()))}), "
            f"{sum(r.returncode == 0 for r in finished)} finished ok, "
            f"{sum(r.returncode == 1 for r in finished)} finished with a failed cycle",
            f"polls that failed (faults): {sum(len(s) for s in self.poll_failures.values())} in "
            f"{len(self.poll_failures)} steps; a run took {mean:.1f}s on average",
            f"dead actions in the ledger: {len(self.dead)}",
            *(f"  {n}x {what}" for what, n in dead.most_common(5)),
        ]


class Driver:
    """Runs the scenario's steps against the world, killing the worker as the profile says."""

    def __init__(self, world: World, config: Path, database_url: str, log: Callable[[str], None]) -> None:
        self.world = world
        self.config = config
        self.database_url = database_url
        self.log = log
        profile = world.scenario.profile
        self.profile = profile
        self.rng = random.Random(profile.seed * 7919 + 1)
        self.faults = FaultLog()
        self.outcome = Outcome()
        self.recent: deque[int] = deque([30], maxlen=8)  # requests of recent whole runs
        self.durations: deque[float] = deque([2.0], maxlen=6)
        self.cap = 30
        self.env = {
            **os.environ,
            **world.env(),
            "PYTHONPATH": str(ROOT),
            "CRM_SYNC_DATABASE_URL": database_url,
            "CRM_SYNC_CS_LEAD_EMAIL": "cs-lead@cs.example",
        }

    def run(self, deadline: float) -> Outcome:
        started = time.monotonic()
        scenario = self.world.scenario
        for index, (step, kills) in enumerate(zip(scenario.steps, scenario.kills_per_step, strict=True)):
            if time.monotonic() > deadline:
                self.outcome.stopped_early = f"time budget spent before step {index} of {len(scenario.steps)}"
                break
            self.world.advance(step)
            self.cap = max(8, int(1.2 * statistics.median(self.recent)))  # about a whole run's requests
            for _ in range(kills):
                self._kill_once(index, step)
            self._settle(index, step)
            self.outcome.steps_done = index + 1
            self.log(f"step {index:3d} {step:%m-%d %H:%M}: {len(self.outcome.kills)} kills so far")
        self.outcome.dead = self._dead()
        self.outcome.seconds = time.monotonic() - started
        return self.outcome

    # -- runs ------------------------------------------------------------------------------------

    def _kill_once(self, index: int, step: datetime) -> None:
        for attempt in range(KILL_ATTEMPTS):
            self.faults.inject(
                self.rng, self.world.box, self.faults.count(self.rng, self.profile.faults_per_run)
            )
            if attempt == 0 and self.rng.random() < self.profile.timed_kill_share:
                delay = self.rng.uniform(1.0, max(1.2, statistics.median(self.durations)))
                run = self._worker(index, step, delay=delay)
            else:
                at = self.rng.randint(1, self.cap)
                run = self._worker(index, step, at=at, after=self.rng.random() < 0.5)
            if run.killed:
                return
            self._remember(run)
            # The step's work is done: later runs only poll, with fewer requests than this one.
            self.cap = max(1, int(0.6 * run.requests))

    def _settle(self, index: int, step: datetime) -> None:
        for n in range(CLEAN_CYCLES):
            run = self._worker(index, step)
            if n == 0:
                self._remember(run)
                self.faults.clear(self.world.box)  # faults left by a killed run hit the first clean one
            owed = self._owed_now_due()
            if run.returncode == 0 and owed == 0:
                return
        self.outcome.unsettled.append(f"step {index}: still owed after {CLEAN_CYCLES} clean cycles")

    def _remember(self, run: Run) -> None:
        if run.returncode == 0:
            self.recent.append(run.requests)
            self.durations.append(run.seconds)

    def _worker(
        self, index: int, step: datetime, *, at: int = 0, after: bool = False, delay: float = 0
    ) -> Run:
        box = self.world.box
        before, began, faults = box.served, time.monotonic(), self.faults.left(box)
        command = [
            "-m",
            "sync",
            "run",
            "--once",
            "--backfill",
            "--now",
            step.isoformat(),
            "-c",
            str(self.config),
        ]
        process = subprocess.Popen(
            [sys.executable, *command], env=self.env, cwd=ROOT, stdout=PIPE, stderr=PIPE, text=True
        )
        how = "clean"
        if at:
            box.tripwire = Tripwire(process.pid, at, after)
            how = f"request {at} {'after' if after else 'before'}"
        elif delay:
            how = f"timer {delay:.2f}s"
        try:
            _, stderr = process.communicate(timeout=delay or RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            if not delay:
                self.outcome.hung.append(f"step {index}: a run ({how}) took over {RUN_TIMEOUT:.0f}s")
            process.send_signal(signal.SIGKILL)
            _, stderr = process.communicate()
        finally:
            box.tripwire = None
        run = Run(
            index,
            how,
            process.returncode == -signal.SIGKILL,
            process.returncode,
            box.served - before,
            time.monotonic() - began,
            stderr[-2000:],
        )
        if process.returncode not in (0, 1, -signal.SIGKILL):
            raise AssertionError(f"step {index}: the worker exited {process.returncode}:\n{stderr}")
        # A killed run may have got past a failed poll to the timers before dying: counted as well.
        failed = {s for s in STREAMS if f"{s}: polling" in stderr or f"polling {s} failed" in stderr}
        if failed:
            self.outcome.poll_failures.setdefault(index, set()).update(failed)
        if run.killed:  # a killed run says nothing about its polls: the faults it met may have failed one
            met = self.faults.met(faults, self.faults.left(box))
            if met:
                self.outcome.faulted.setdefault(index, set()).update(met)
        self.outcome.runs.append(run)
        return run

    # -- the ledger (only to settle a step and to explain what is missing) -----------------------

    def _owed_now_due(self) -> int:
        """Actions still owed; those waiting for a retry are made due now (the hours between steps pass
        for the worker's wall clock too)."""
        store = Store(create_store_engine(self.database_url))
        try:
            with store.transaction() as tx:
                rows = tx.ledger.find(status="pending") + tx.ledger.find(status="retrying")
                for row in rows:
                    row.next_attempt_at = datetime.now(UTC)
                    tx.ledger.save(row)
            return len(rows)
        finally:
            store.close()

    def _dead(self) -> list[DeadAction]:
        store = Store(create_store_engine(self.database_url))
        try:
            with store.transaction() as tx:
                return [
                    DeadAction(r.rule_id, r.record_key, r.kind, r.last_error or "")
                    for r in tx.ledger.find(status="dead")
                ]
        finally:
            store.close()
