"""The state store's tables (SQLModel). Every schema change gets an Alembic migration in sync/migrations.

Times are stored as naive UTC and read back timezone-aware (:class:`UTCDateTime`), the same on SQLite
and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored naive UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; times must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _time(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _json() -> Any:
    return Field(default=None, sa_column=sa.Column(sa.JSON(), nullable=True))


class StreamCursor(SQLModel, table=True):
    """Where polling of one stream stands (opaque to the engine; owned by the CRM adapter)."""

    __tablename__ = "stream_cursors"
    stream: str = Field(primary_key=True, max_length=100)
    cursor: Any = _json()
    updated_at: datetime = _time()


class TrackedRecord(SQLModel, table=True):
    """The latest snapshot of a CRM record, and when a timer next needs it."""

    __tablename__ = "records"
    key: str = Field(primary_key=True, max_length=200)
    stream: str = Field(index=True, max_length=100)
    record_id: str = Field(max_length=100)
    snapshot: Any = _json()
    previous: Any = _json()
    first_seen: datetime = _time()
    last_seen: datetime = _time()
    deleted_at: datetime | None = _time(nullable=True)
    next_due: datetime | None = _time(nullable=True, index=True)


class RecordChange(SQLModel, table=True):
    """A sighting of a record that differed from its stored snapshot (or its first sighting), with the
    changed field paths as ``{path: [old, new]}`` (values truncated); what ``explain`` shows."""

    __tablename__ = "record_changes"
    id: int | None = Field(default=None, primary_key=True)
    record_key: str = Field(index=True, max_length=200)
    seen_at: datetime = _time()
    kind: str = Field(max_length=16)  # "first_seen" or "changed"
    changes: Any = _json()


class RuleOutcome(SQLModel, table=True):
    """Where one rule stands for one record occurrence: armed (a pending timer), fired, cancelled, lapsed."""

    __tablename__ = "rule_outcomes"
    record_key: str = Field(primary_key=True, max_length=200)
    rule_id: str = Field(primary_key=True, max_length=64)
    occurrence: str = Field(primary_key=True, max_length=200)
    state: str = Field(max_length=16, index=True)
    armed_at: datetime = _time()
    due_at: datetime | None = _time(nullable=True, index=True)
    decided_at: datetime | None = _time(nullable=True)
    reason: str = Field(default="", max_length=500)
    rule_version: str | None = Field(default=None, max_length=16)


class AppliedRule(SQLModel, table=True):
    """The version of each rule the worker last ran, to notice edits made while timers are armed."""

    __tablename__ = "applied_rules"
    rule_id: str = Field(primary_key=True, max_length=64)
    version: str = Field(max_length=16)
    applied_at: datetime = _time()


class LedgerAction(SQLModel, table=True):
    """One write owed to a CRM, keyed by its idempotency key; delivery moves it to delivered or dead."""

    __tablename__ = "actions"
    key: str = Field(primary_key=True, max_length=400)
    external_id: str = Field(max_length=64, index=True)
    record_key: str = Field(index=True, max_length=200)
    rule_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    target: str = Field(max_length=32)
    payload: Any = _json()
    status: str = Field(max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _time(nullable=True, index=True)
    attempted_at: datetime | None = _time(nullable=True)  # set, and committed, before each CRM call
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    crm_id: str | None = Field(default=None, max_length=100)
    planned_at: datetime = _time()
    updated_at: datetime = _time()
    delivered_at: datetime | None = _time(nullable=True)


class Rejection(SQLModel, table=True):
    """A record the rules cannot use (e.g. an NPS score of "N/A"), with the reason; cleared when fixed."""

    __tablename__ = "rejections"
    record_key: str = Field(primary_key=True, max_length=200)
    stream: str = Field(index=True, max_length=100)
    record_id: str = Field(max_length=100)
    reason: str = Field(max_length=1000)
    first_at: datetime = _time()
    last_at: datetime = _time()


class NoticeRow(SQLModel, table=True):
    """Something an admin should know: a skipped recipient, an expression that failed on a record."""

    __tablename__ = "notices"
    __table_args__ = (
        sa.UniqueConstraint("record_key", "rule_id", "message", name="uq_notices_record_rule_message"),
    )
    id: int | None = Field(default=None, primary_key=True)
    record_key: str = Field(index=True, max_length=200)
    rule_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    message: str = Field(max_length=1000)
    first_at: datetime = _time()
    last_at: datetime = _time(index=True)
    count: int = 1


class RunRow(SQLModel, table=True):
    """One cycle of the worker."""

    __tablename__ = "runs"
    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = _time(index=True)
    finished_at: datetime | None = _time(nullable=True)
    status: str = Field(max_length=16)
    mode: str = Field(max_length=16)
    rules_now: datetime = _time()
    summary: Any = _json()
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))


class Rotation(SQLModel, table=True):
    """Round-robin state of one team: whose turn was taken last, and how many turns in all."""

    __tablename__ = "rotations"
    team: str = Field(primary_key=True, max_length=200)
    last_member_id: str = Field(max_length=100)
    turns: int = 0
    updated_at: datetime = _time()
