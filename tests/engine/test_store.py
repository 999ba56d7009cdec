"""The store itself: migrations match the models, on SQLite and PostgreSQL; dry runs write nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from sync.store.database import create_store_engine, migrate, schema_is_current
from sync.wiring import open_worker
from tests.engine.test_cycle import RULES, sli
from tests.fakes import FakeCRM
from tests.support import Clock


def test_migrations_create_exactly_the_models(database_url: str) -> None:
    engine = create_store_engine(database_url)
    migrate(engine)
    migrate(engine)  # idempotent
    assert schema_is_current(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []
    engine.dispose()


def test_times_round_trip_as_aware_utc(database_url: str) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from sync.store.transaction import Store

    store = Store(create_store_engine(database_url))
    store.migrate()
    local = datetime(2026, 3, 2, 4, 0, tzinfo=timezone(timedelta(hours=-5)))
    with store.transaction() as tx:
        tx.cursors.set("s", {"x": 1}, local)
    with store.transaction() as tx:
        (row,) = tx.status.cursors()
        assert row.updated_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        assert row.cursor == {"x": 1}
    store.close()


def test_dry_run_prints_plans_and_writes_nothing(
    write_config: Callable[..., Path], tmp_path: Path, clock: Clock
) -> None:
    config = write_config(RULES)
    crm = FakeCRM()
    crm.put("salesforce.sli", sli())
    with open_worker(config, dry_run=True, connectors={"salesforce": crm}, clock=clock) as worker:
        report = worker.engine.run_cycle(deliver=False, mode="dry-run")
    assert len(report.planned) == 2
    assert not (tmp_path / "state.db").exists()  # a dry run against a new database creates no file
    assert crm.writes == {}
    # Against an existing database: still nothing written.
    with open_worker(config, connectors={"salesforce": crm}, clock=clock) as worker:
        pass
    with open_worker(config, dry_run=True, connectors={"salesforce": crm}, clock=clock) as worker:
        assert len(worker.engine.run_cycle(deliver=False).planned) == 2
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'state.db'}")
    with engine.connect() as connection:
        for table in ("actions", "records", "runs", "stream_cursors", "rule_outcomes"):
            assert connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0, table
    engine.dispose()


def test_rotations_keep_the_last_member_and_count_turns(database_url: str) -> None:
    from datetime import UTC, datetime

    from sync.store.transaction import Store

    database = create_store_engine(database_url)
    store = Store(database)
    store.migrate()
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with store.transaction() as tx:
        assert tx.rotations.last_member("Customer Success") is None
        tx.rotations.take_turn("Customer Success", "1", now)
    with store.transaction() as tx:
        tx.rotations.take_turn("Customer Success", "2", now)
    with store.transaction() as tx:
        assert tx.rotations.last_member("Customer Success") == "2"
    with database.connect() as connection:
        assert connection.execute(sa.text("SELECT turns FROM rotations")).scalar() == 2
    store.close()
