from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.engine.harness import Harness, build_harness
from tests.support import Clock


@pytest.fixture
def harness(
    write_config: Callable[..., Path], database_url: str, clock: Clock
) -> Iterator[Callable[..., Harness]]:
    built: list[Harness] = []

    def make(rules: str) -> Harness:
        h = build_harness(write_config(rules), database_url, clock)
        built.append(h)
        return h

    yield make
    for h in built:
        h.store.close()
