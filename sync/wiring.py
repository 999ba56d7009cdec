"""The composition root: a config file in, a ready engine out (lock taken, store migrated, adapters
built, clocks set)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine as Database

from rules.model import RuleSet
from sync.channels.base import Outlet
from sync.channels.registry import build_outlets
from sync.connectors.base import Connector
from sync.connectors.registry import build_connectors, load_config
from sync.engine import Engine
from sync.lock import worker_lock
from sync.store.database import create_store_engine, resolve_url
from sync.store.transaction import Store


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Worker:
    """Everything one worker process runs with."""

    ruleset: RuleSet
    store: Store
    connectors: Mapping[str, Connector]
    engine: Engine


def open_database(ruleset: RuleSet, dry_run: bool = False) -> Database:
    """The configured database; for a dry run against a SQLite file that does not exist yet, an empty
    in-memory database instead, so a dry run never creates files."""
    database = create_store_engine(resolve_url(ruleset.settings.store.url, ruleset.path.parent))
    path = database.url.database
    if dry_run and database.url.get_backend_name() == "sqlite" and path and not Path(path).exists():
        database.dispose()
        database = create_store_engine("sqlite://")
    return database


def open_store(ruleset: RuleSet, dry_run: bool = False) -> Store:
    """The configured database, migrated to the current schema."""
    store = Store(open_database(ruleset, dry_run), dry_run=dry_run)
    store.migrate()
    return store


@contextmanager
def open_worker(
    config_path: Path,
    *,
    dry_run: bool = False,
    rules_now: datetime | None = None,
    connectors: Mapping[str, Connector] | None = None,
    clock: Callable[[], datetime] = system_clock,
    ruleset: RuleSet | None = None,
    backfill: bool = False,
    database: Database | None = None,
    locked: bool = False,
    outlets: Mapping[str, Outlet] | None = None,
) -> Iterator[Worker]:
    """A worker holding the cross-process lock (except in dry-run mode, which writes nothing; and when
    the caller holds it already, ``locked``, as a daemon does). A stream's first poll refuses existing
    records unless ``backfill`` (or the stream's ``since``)."""
    ruleset = ruleset or load_config(config_path)
    database = database or open_database(ruleset, dry_run)
    guard: AbstractContextManager[None] = nullcontext() if dry_run or locked else worker_lock(database)
    with guard:
        store = Store(database, dry_run=dry_run)
        built: dict[str, Connector] = {}
        channels: dict[str, Outlet] = {}
        try:
            store.migrate()
            if not dry_run:  # the lock is ours: a run still marked running died with its worker
                with store.transaction() as tx:
                    tx.runs.interrupt_unfinished()
            built = dict(connectors) if connectors is not None else build_connectors(ruleset, clock)
            channels = dict(outlets) if outlets is not None else build_outlets(ruleset, clock)
            engine = Engine(
                ruleset,
                store,
                built,
                rules_clock=(lambda: rules_now) if rules_now is not None else clock,
                wall_clock=clock,
                backfill=backfill or dry_run,  # a dry run shows what a backfill would do
                keep_planned=dry_run,  # printed by a dry run; otherwise counted, never held in memory
                outlets=channels,
            )
            yield Worker(ruleset, store, built, engine)
        finally:
            for outlet in [*channels.values(), *built.values()]:
                outlet.close()
            store.close()
