"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "actions",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("crm_id", sa.String(length=100), nullable=True),
        sa.Column("planned_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actions_external_id"), ["external_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_record_key"), ["record_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_actions_status"), ["status"], unique=False)

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_key", "rule_id", "message", name="uq_notices_record_rule_message"),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_last_at"), ["last_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notices_record_key"), ["record_key"], unique=False)

    op.create_table(
        "records",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("previous", sa.JSON(), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("next_due", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_records_next_due"), ["next_due"], unique=False)
        batch_op.create_index(batch_op.f("ix_records_stream"), ["stream"], unique=False)

    op.create_table(
        "rejections",
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("first_at", sa.DateTime(), nullable=False),
        sa.Column("last_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("record_key"),
    )
    with op.batch_alter_table("rejections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rejections_stream"), ["stream"], unique=False)

    op.create_table(
        "rule_outcomes",
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("occurrence", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("armed_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("record_key", "rule_id", "occurrence"),
    )
    with op.batch_alter_table("rule_outcomes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_outcomes_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rule_outcomes_state"), ["state"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("rules_now", sa.DateTime(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runs_started_at"), ["started_at"], unique=False)

    op.create_table(
        "stream_cursors",
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("stream"),
    )


def downgrade() -> None:

    op.drop_table("stream_cursors")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_started_at"))

    op.drop_table("runs")
    with op.batch_alter_table("rule_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_outcomes_state"))
        batch_op.drop_index(batch_op.f("ix_rule_outcomes_due_at"))

    op.drop_table("rule_outcomes")
    with op.batch_alter_table("rejections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejections_stream"))

    op.drop_table("rejections")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_records_stream"))
        batch_op.drop_index(batch_op.f("ix_records_next_due"))

    op.drop_table("records")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_record_key"))
        batch_op.drop_index(batch_op.f("ix_notices_last_at"))

    op.drop_table("notices")
    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actions_status"))
        batch_op.drop_index(batch_op.f("ix_actions_record_key"))
        batch_op.drop_index(batch_op.f("ix_actions_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_actions_external_id"))

    op.drop_table("actions")
