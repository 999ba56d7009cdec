"""One active worker at a time: a cross-process lock that a killed process cannot leave behind.

With SQLite the lock is ``flock`` on a file beside the database (one host); with PostgreSQL it is a
session-level advisory lock, keyed by database and schema, on a connection of its own (any number of
hosts). Both are released by the operating system or the server when the holder dies, so a standby
daemon that keeps trying (:class:`ProcessLock`) takes over from one killed with SIGKILL.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

APPLICATION = "crm-sync"


class LockHeld(Exception):
    """Another crm-sync process holds the lock."""


def identity() -> str:
    """``host:pid`` of this process (shown by ``status``)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def advisory_key(database: str | None, schema: str | None) -> int:
    """The advisory lock key of one crm-sync store (a database and schema)."""
    digest = hashlib.sha256(f"crm-sync:{database}:{schema or 'public'}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class ProcessLock:
    """The worker lock, tried without waiting (:meth:`acquire`) as often as a standby likes.

    ``role`` names the process in PostgreSQL's ``pg_stat_activity``: a ``daemon`` is ``crm-sync standby
    host:pid`` until it holds the lock, then ``crm-sync active host:pid``, so ``status`` lists both.
    """

    def __init__(self, engine: Engine, role: str = "worker") -> None:
        self.engine = engine
        self.role = role
        self.held = False
        self.backend = engine.url.get_backend_name()
        self._connection: Connection | None = None
        self._fd: int | None = None
        self._key: int | None = None
        database = engine.url.database
        self._file = (
            Path(database + ".lock")
            if self.backend == "sqlite" and database and database != ":memory:"
            else None
        )

    @property
    def description(self) -> str:
        if self.backend == "postgresql":
            return f"PostgreSQL advisory lock on {self.engine.url.database}"
        return f"lock file {self._file}" if self._file else "no lock (in-memory database)"

    def acquire(self) -> bool:
        """Take the lock if it is free; True when this process holds it."""
        if self.held:
            return True
        if self.backend == "postgresql":
            self.held = self._acquire_postgres()
        elif self._file is not None:
            self.held = self._acquire_file(self._file)
        else:
            self.held = True
        return self.held

    def alive(self) -> bool:
        """Whether the lock is still ours: for PostgreSQL, whether its connection still answers."""
        if not self.held:
            return False
        if self._connection is None:
            return True
        try:
            self._connection.execute(sa.text("SELECT 1")).scalar()
            self._connection.commit()
        except sa.exc.DBAPIError:
            self.held = False
            return False
        return True

    def holder(self) -> str:
        """Who holds the lock, as far as one can tell (for messages)."""
        if self._file is not None and self._file.exists():
            text = self._file.read_text(errors="replace").strip()
            return f"pid {text or 'unknown'} ({self._file})"
        return f"another crm-sync ({self.description})"

    def release(self) -> None:
        if self._connection is not None:
            try:
                if self.held:
                    self._connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
                    self._connection.commit()
                self._connection.close()
            except sa.exc.DBAPIError:
                pass  # the connection is gone, and the lock with it
            self._connection = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.held = False

    # -- backends ----------------------------------------------------------------------------------

    def _acquire_postgres(self) -> bool:
        if self._connection is None:
            self._connection = self.engine.connect()
            schema = self._connection.execute(sa.text("SELECT current_schema()")).scalar()
            self._key = advisory_key(self.engine.url.database, schema)
            self._name("standby" if self.role == "daemon" else self.role)
        got = bool(
            self._connection.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            ).scalar()
        )
        self._connection.commit()
        if got:
            self._name("active" if self.role == "daemon" else self.role)
        return got

    def _name(self, role: str) -> None:
        assert self._connection is not None
        name = f"{APPLICATION} {role} {identity()}"[:63]
        self._connection.execute(
            sa.text("SELECT set_config('application_name', :name, false)"), {"name": name}
        )
        self._connection.commit()

    def _acquire_file(self, path: Path) -> bool:
        if self._fd is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, identity().encode(), 0)
        return True


@contextmanager
def worker_lock(engine: Engine) -> Iterator[None]:
    """Hold the worker lock for the block; raises :class:`LockHeld` at once if another process has it."""
    lock = ProcessLock(engine)
    try:
        if not lock.acquire():
            raise LockHeld(f"another crm-sync is running ({lock.holder()})")
        yield
    finally:
        lock.release()


def lock_holders(engine: Engine) -> list[dict[str, object]]:
    """The crm-sync processes on this store: ``{"role", "name", "since", "holds_lock"}`` each. With
    PostgreSQL every daemon (active and standbys) and worker; with SQLite only the lock's holder."""
    if engine.url.get_backend_name() == "postgresql":
        query = sa.text(
            "SELECT a.application_name, a.backend_start, EXISTS (SELECT 1 FROM pg_locks l WHERE "
            "l.pid = a.pid AND l.locktype = 'advisory' AND l.granted) AS holds "
            "FROM pg_stat_activity a WHERE a.datname = current_database() "
            "AND a.application_name LIKE :prefix ORDER BY a.backend_start"
        )
        with engine.connect() as connection:
            rows = connection.execute(query, {"prefix": f"{APPLICATION} %"}).all()
        found: list[dict[str, object]] = []
        for name, since, holds in rows:
            _, role, who = [*str(name).split(" ", 2), "", ""][:3]
            found.append({"role": role, "name": who, "since": since, "holds_lock": bool(holds)})
        return found
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return []
    path = Path(database + ".lock")
    if not path.exists():
        return []
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            who = os.pread(fd, 200, 0).decode(errors="replace").strip()
            return [{"role": "active", "name": who or "unknown", "since": None, "holds_lock": True}]
        return []
    finally:
        os.close(fd)
