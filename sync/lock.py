"""One worker at a time: a cross-process lock that a killed process cannot leave behind.

With SQLite the lock is ``flock`` on a file beside the database; with PostgreSQL it is a session-level
advisory lock. Both are released by the operating system or the server when the holder dies.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine


class LockHeld(Exception):
    """Another crm-sync process holds the lock."""


def _advisory_key(engine: Engine) -> int:
    digest = hashlib.sha256(f"crm-sync:{engine.url.database}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def worker_lock(engine: Engine) -> Iterator[None]:
    """Hold the worker lock for the block; raises :class:`LockHeld` at once if another process has it."""
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        with _postgres_lock(engine):
            yield
        return
    database = engine.url.database
    if backend != "sqlite" or not database or database == ":memory:":
        yield
        return
    with _file_lock(Path(database + ".lock")):
        yield


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            raise LockHeld(f"another crm-sync is running (pid {holder or 'unknown'}; lock {path})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


@contextmanager
def _postgres_lock(engine: Engine) -> Iterator[None]:
    key = _advisory_key(engine)
    with engine.connect() as connection:
        got = connection.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        connection.commit()
        if not got:
            raise LockHeld(f"another crm-sync is running against database {engine.url.database}")
        try:
            yield
        finally:
            connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()
