"""What the sandboxed drivers share: a hand-moved clock and answers lost after the write is done."""

from __future__ import annotations

import re

from sandbox.app import DropConnection, Sandbox
from sandbox.core import SandboxRequest, SandboxResponse
from tests.support import T0, Clock

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def sandbox_at_t0() -> tuple[Sandbox, Clock]:
    """A fresh sandbox on a clock that starts at ``T0`` and moves only by hand."""
    clock = Clock(T0)
    return Sandbox(clock=clock), clock


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
