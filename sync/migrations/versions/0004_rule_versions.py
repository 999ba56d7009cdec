"""rule versions: the version of the rule that armed each timer, and the rules last applied

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rule_outcomes") as batch_op:
        batch_op.add_column(sa.Column("rule_version", sa.String(length=16), nullable=True))
    op.create_table(
        "applied_rules",
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("rule_id"),
    )


def downgrade() -> None:
    op.drop_table("applied_rules")
    with op.batch_alter_table("rule_outcomes") as batch_op:
        batch_op.drop_column("rule_version")
