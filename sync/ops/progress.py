"""A progress display for long first syncs and backfills: records read per stream, on a terminal only."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from sync.engine import Engine


@contextmanager
def polling_progress(engine: Engine, enabled: bool | None = None) -> Iterator[None]:
    """Show records read per stream while the block runs (default: when stderr is a terminal)."""
    if not (sys.stderr.isatty() if enabled is None else enabled):
        yield
        return
    console = Console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} records"))
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def advance(stream: str, records: int) -> None:
            if stream not in tasks:
                tasks[stream] = progress.add_task(f"reading {stream}", total=None)
            progress.advance(tasks[stream], records)

        engine.progress = advance
        try:
            yield
        finally:
            engine.progress = lambda stream, records: None
