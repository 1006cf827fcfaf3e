"""The console's registry in the wallet (registry.events.v1): accounts get the console's tenant id;
the latest placement of every account (tenant, property) and meter (property) is kept, with the
time that orders them, for accounts the wallet has not opened yet too.

Revision ID: wal0004
Revises: wal0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "wal0004"
down_revision = "wal0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("accounts", sa.Column("tenant_id", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "account_placements",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("property_id", sa.String(64), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_account_placements"),
    )
    op.create_table(
        "meter_placements",
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("property_id", sa.String(64), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", name="pk_meter_placements"),
    )


def downgrade() -> None:
    op.drop_table("meter_placements")
    op.drop_table("account_placements")
    op.drop_column("accounts", "tenant_id")
