"""What the sandboxed drivers share: a fresh sandbox on a hand-moved clock, and answers lost after the
write is done."""

from __future__ import annotations

import re
from typing import ClassVar

from sandbox.app import Sandbox
from sandbox.core import SandboxRequest, SandboxResponse
from sandbox.faults import DropConnection
from sync.connectors.conformance import ConformanceDriver
from tests.support import T0, Clock

READS = frozenset({"GET", "HEAD", "OPTIONS"})


class LostAnswers:
    """Wraps a sandbox's dispatch: the next ``lose_next()`` writes (requests whose path ``writes``
    matches) are carried out, then their connection is dropped, as when a network fails mid-call."""

    def __init__(self, box: Sandbox, writes: str) -> None:
        self.writes = re.compile(writes)
        self.pending = 0
        self._dispatch = box.dispatch
        box.dispatch = self._answer  # type: ignore[method-assign]

    def lose_next(self) -> None:
        self.pending += 1

    def _answer(self, request: SandboxRequest) -> SandboxResponse:
        response = self._dispatch(request)
        if self.pending and request.method.upper() not in READS and self.writes.search(request.path):
            self.pending -= 1
            return DropConnection()
        return response


class SandboxedDriver(ConformanceDriver):
    """A driver on its own sandbox, whose clock starts at ``T0`` and moves only by hand; ``writes`` is
    a regex of the paths the CRM writes on (whose answer ``lose_next_answer`` loses)."""

    writes: ClassVar[str]

    def __init__(self) -> None:
        self.clock = Clock(T0)
        self.box = Sandbox(clock=self.clock)
        self.lost = LostAnswers(self.box, self.writes)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)

    def lose_next_answer(self) -> None:
        self.lost.lose_next()

    def close(self) -> None:
        self.box.close()
