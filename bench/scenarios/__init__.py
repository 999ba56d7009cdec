"""The benchmark's scenarios, each run in a process of its own by ``python -m bench.run_one``.

A scenario function takes a :class:`Context` and returns its :class:`bench.result.Result` rows; a
setup function prepares the store and the sandbox for a later scenario process and returns none.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Context:
    """Where and how big: the store's URL (or ``-``), the scale, tracked records for idle-tracked."""

    db_url: str
    scale: int = 1
    tracked: int = 100_000

    @property
    def db(self) -> str:
        return "-" if self.db_url == "-" else ("sqlite" if self.db_url.startswith("sqlite") else "postgres")
