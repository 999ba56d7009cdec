"""One active daemon per store: a standby waits on the lock and gets it when the holder goes; with
PostgreSQL the lock belongs to a schema and is lost with its connection."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.lock import ProcessLock, lock_holders
from sync.store.database import create_store_engine, resolve_url


def _engine(url: str) -> sa.engine.Engine:
    return create_store_engine(resolve_url(url, Path(".")))


def test_a_standby_gets_the_lock_when_the_active_one_lets_go(database_url: str) -> None:
    first, second = _engine(database_url), _engine(database_url)
    active, standby = ProcessLock(first, "daemon"), ProcessLock(second, "daemon")
    try:
        assert active.acquire() and active.alive()
        assert not standby.acquire() and not standby.alive()
        holders = lock_holders(first)
        assert [h["role"] for h in holders if h["holds_lock"]] == ["active"]
        if first.url.get_backend_name() == "postgresql":
            assert sorted(h["role"] for h in holders) == ["active", "standby"]
        active.release()
        assert standby.acquire()
        assert not ProcessLock(first, "daemon").acquire() or first.url.get_backend_name() == "sqlite"
    finally:
        active.release()
        standby.release()
        first.dispose()
        second.dispose()


@pytest.mark.postgres
def test_the_lock_is_lost_with_its_connection(postgres_url: str) -> None:
    first, second = _engine(postgres_url), _engine(postgres_url)
    active, standby = ProcessLock(first, "daemon"), ProcessLock(second, "daemon")
    admin = _engine(postgres_url)
    try:
        assert active.acquire() and not standby.acquire()
        assert active._connection is not None
        pid = active._connection.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        active._connection.commit()
        with admin.begin() as connection:  # the database drops the active daemon's session
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert not active.alive()  # the daemon notices, and stops acting
        assert standby.acquire()
    finally:
        active.release()
        standby.release()
        for engine in (first, second, admin):
            engine.dispose()


@pytest.mark.postgres
def test_each_schema_has_its_own_lock(postgres_url: str) -> None:
    """Two stores in one database (one schema each) run one active daemon each."""
    schema = postgres_url.rsplit("search_path%3D", 1)[1]
    admin = _engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}_b"'))
    one, other = _engine(postgres_url), _engine(postgres_url + "_b")
    first, second = ProcessLock(one, "daemon"), ProcessLock(other, "daemon")
    try:
        assert first.acquire() and second.acquire()
    finally:
        first.release()
        second.release()
        one.dispose()
        other.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}_b" CASCADE'))
        admin.dispose()
