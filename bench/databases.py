"""Fresh stores for the benchmark: a SQLite file in a temporary folder, or a new PostgreSQL schema.

PostgreSQL comes from ``CRM_SYNC_TEST_POSTGRES_URL`` (the test suite's variable) or the local default;
each database is a schema of its own, reached through ``search_path``, dropped when done.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa

POSTGRES_URL = os.environ.get(
    "CRM_SYNC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
KINDS = ("sqlite", "postgres")
_SEARCH_PATH = "options=-csearch_path%3D"


def postgres_available() -> bool:
    """Whether a benchmark schema can be made (and dropped) on the PostgreSQL server."""
    try:
        drop(fresh("postgres"))
    except sa.exc.OperationalError:
        return False
    return True


def fresh(kind: str) -> str:
    """The URL of a new, empty database of ``kind`` (``sqlite`` or ``postgres``)."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="crm-sync-bench-")
        return f"sqlite:///{folder}/state.db"
    if kind != "postgres":
        raise ValueError(f"unknown database kind {kind!r}")
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}{_SEARCH_PATH}{schema}"


def kind_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres"


def drop(url: str) -> None:
    """Remove a database made by :func:`fresh`."""
    if kind_of(url) == "sqlite":
        shutil.rmtree(Path(url.removeprefix("sqlite:///")).parent, ignore_errors=True)
        return
    options = parse_qs(urlsplit(url).query).get("options", [""])[0]
    schema = unquote(options).removeprefix("-csearch_path=")
    if not schema.startswith("bench_"):
        raise ValueError(f"not a benchmark schema: {schema!r}")
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@contextmanager
def temporary(kind: str) -> Iterator[str]:
    """A fresh database of ``kind`` for the block (``-``: none), dropped afterwards."""
    url = fresh(kind) if kind != "-" else "-"
    try:
        yield url
    finally:
        if url != "-":
            drop(url)
