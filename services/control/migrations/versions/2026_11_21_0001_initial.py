"""Control modes per meter, commands, and the kit's outbox and inbox.

Revision ID: ctl0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from services.kit.migration_ops import create_kit_tables, drop_kit_tables

revision = "ctl0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "meter_controls",
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False, server_default="prepaid"),
        sa.Column("in_arrears", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("known_state", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("meter_id", name="pk_meter_controls"),
    )
    op.create_table(
        "commands",
        sa.Column("command_id", sa.String(100), nullable=False),
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("action", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("command_id", name="pk_commands"),
    )
    op.create_index("ix_commands_meter_id", "commands", ["meter_id"])


def downgrade() -> None:
    op.drop_index("ix_commands_meter_id", "commands")
    op.drop_table("commands")
    op.drop_table("meter_controls")
    drop_kit_tables()
