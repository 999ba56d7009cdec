"""Opening the state store: engine, URL resolution, and Alembic migrations to the latest schema."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine, make_url

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
DATABASE_URL_ENV = "CRM_SYNC_DATABASE_URL"


def resolve_url(configured: str, base_dir: Path) -> str:
    """The database URL: ``CRM_SYNC_DATABASE_URL`` wins; a relative SQLite path is relative to the config."""
    url = os.environ.get(DATABASE_URL_ENV) or configured
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if not path.is_absolute():
            parsed = parsed.set(database=str((base_dir / path).resolve()))
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_store_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        # pysqlite's own transaction handling breaks SAVEPOINT (used by dry runs): let SQLAlchemy
        # emit BEGIN itself, as the SQLAlchemy SQLite dialect documentation recommends.
        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(connection):  # type: ignore[no-untyped-def]
            connection.exec_driver_sql("BEGIN")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class DatabaseNewer(Exception):
    """The database was migrated by a newer crm-sync: this one must not write to it."""


@dataclass(frozen=True)
class SchemaState:
    """Where a database's schema stands against this code's migrations."""

    current: tuple[str, ...]  # the database's revisions (empty: never migrated)
    head: tuple[str, ...]  # this code's latest
    unknown: tuple[str, ...]  # revisions in the database this code does not have (a newer crm-sync)
    pending: tuple[str, ...]  # this code's revisions not yet applied, oldest first

    @property
    def newer(self) -> bool:
        return bool(self.unknown)

    def describe(self) -> str:
        at = ", ".join(self.current) or "empty (never migrated)"
        if self.unknown:
            return (
                f"the database is at revision {at}, which this crm-sync does not know (its latest is "
                f"{', '.join(self.head)}): a newer crm-sync migrated it; upgrade crm-sync"
            )
        if self.pending:
            return f"the database is at {at}; {len(self.pending)} migration(s) pending: {', '.join(self.pending)}"
        return f"the database is up to date (revision {at})"


def schema_state(bind: Engine | Connection) -> SchemaState:
    engine = bind if isinstance(bind, Engine) else bind.engine
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(hide_password=False)))
    if isinstance(bind, Connection):
        current = tuple(MigrationContext.configure(bind).get_current_heads())
    else:
        with bind.connect() as connection:
            current = tuple(MigrationContext.configure(connection).get_current_heads())
    known = {rev.revision for rev in script.walk_revisions()}
    unknown = tuple(r for r in current if r not in known)
    pending: list[str] = []
    if not unknown:
        applied: set[str] = set()
        for rev in current:
            applied.update(r.revision for r in script.iterate_revisions(rev, "base"))
        pending = [r.revision for r in reversed(list(script.walk_revisions())) if r.revision not in applied]
    return SchemaState(current, tuple(script.get_heads()), unknown, tuple(pending))


def migrate(bind: Engine | Connection) -> None:
    """Bring the schema to the latest revision (a no-op when it is already there); refuses, with
    :class:`DatabaseNewer`, a database a newer crm-sync has migrated.

    Given a connection, the migration runs inside that connection's transaction (used by dry runs).
    """
    engine = bind if isinstance(bind, Engine) else bind.engine
    state = schema_state(bind)
    if state.newer:
        raise DatabaseNewer(state.describe())
    if not state.pending:
        return
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    if isinstance(bind, Connection):
        config.attributes["connection"] = bind
        command.upgrade(config, "head")
        return
    with bind.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def schema_is_current(engine: Engine) -> bool:
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(hide_password=False)))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())
