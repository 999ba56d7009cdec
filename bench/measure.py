"""What a scenario measures in its own process: CPU seconds, peak RSS, SQL statements, polled records.

- CPU: ``getrusage(RUSAGE_SELF)`` user + system time (every thread of this process, nothing else: the
  sandbox and PostgreSQL run in other processes).
- Peak RSS: ``ru_maxrss``, the process's own high-water mark (each scenario runs in a fresh process).
- SQL: a ``before_cursor_execute`` listener on the store's engine counts statements, and attributes
  them to ingesting a polled page while the engine holds one (:class:`Traced` marks those moments).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from rules.model import Stream
from sync.connectors.base import Connector, DeliveryResult, OwedAction, Page, StoredSnapshots


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


class SqlCounter:
    """Counts the statements an engine sends, by phase (``ingest`` while a polled page is stored)."""

    def __init__(self, engine: Engine) -> None:
        self.by_phase: Counter[str] = Counter()
        self.phase = "other"
        self.shapes: Counter[str] | None = Counter() if os.environ.get("BENCH_SQL_SHAPES") else None
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.by_phase[self.phase] += 1
        if self.shapes is not None:  # BENCH_SQL_SHAPES=1: what the statements are, printed at exit
            self.shapes[f"{self.phase}: {' '.join(statement.split())[:70]}"] += 1

    def print_shapes(self) -> None:
        """The most frequent statement shapes, to stderr (only when ``BENCH_SQL_SHAPES`` is set)."""
        for shape, count in (self.shapes or Counter()).most_common(15):
            print(f"    {count:>8,}  {shape}", file=sys.stderr)

    @property
    def total(self) -> int:
        return sum(self.by_phase.values())

    def reset(self) -> None:
        self.by_phase.clear()


class Traced:
    """A connector as the engine sees it, counting pages and records and marking ingest phases."""

    def __init__(self, inner: Connector, sql: SqlCounter) -> None:
        self.inner = inner
        self.sql = sql
        self.name = inner.name
        self.pages = 0
        self.records = 0

    def poll(self, stream: Stream, cursor: Any, stored: StoredSnapshots | None = None) -> Iterator[Page]:
        for page in self.inner.poll(stream, cursor, stored):
            self.pages += 1
            self.records += len(page.records) + len(page.deleted_ids)
            self.sql.phase = "ingest"
            try:
                yield page  # the engine stores the page before asking for the next one
            finally:
                self.sql.phase = "other"

    def deliver(self, actions: Sequence[OwedAction]) -> list[DeliveryResult]:
        return self.inner.deliver(actions)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # teams() and whatever else the adapter offers
        return getattr(self.inner, name)


@dataclass
class VirtualTime:
    """A monotonic clock that ``sleep`` moves at once: pacing is recorded, never waited for."""

    slept: float = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.slept

    def sleep(self, seconds: float) -> None:
        self.slept += max(0.0, seconds)


@dataclass
class Sample:
    """CPU, wall time and SQL statements of one measured block."""

    cpu_s: float = 0.0
    wall_s: float = 0.0
    statements: int = 0
    ingest_statements: int = 0


@contextmanager
def sampled(sql: SqlCounter | None = None) -> Iterator[Sample]:
    """Measure the block: CPU and wall seconds, and the statements ``sql`` saw meanwhile."""
    sample = Sample()
    if sql is not None:
        sql.reset()
    cpu, wall = cpu_seconds(), time.perf_counter()
    try:
        yield sample
    finally:
        sample.cpu_s = cpu_seconds() - cpu
        sample.wall_s = time.perf_counter() - wall
        if sql is not None:
            sample.statements = sql.total
            sample.ingest_statements = sql.by_phase["ingest"]
