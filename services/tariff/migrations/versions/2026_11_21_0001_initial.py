"""Price versions, rating state, rated usage, quarantine, and the kit's outbox and inbox.

Revision ID: tar0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from services.kit.migration_ops import create_kit_tables, drop_kit_tables

revision = "tar0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "price_versions",
        sa.Column("version_id", sa.String(100), nullable=False),
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("price_yuan_per_kwh", sa.Numeric(14, 6), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("version_id", name="pk_price_versions"),
    )
    op.create_index("ix_price_versions_meter_from", "price_versions", ["meter_id", "effective_from"])
    op.create_table(
        "rating_state",
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("last_read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_total_wh", sa.BigInteger, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("period_energy_wh", sa.BigInteger, nullable=False),
        sa.Column("period_cost_yuan", sa.Numeric(24, 10), nullable=False),
        sa.Column("period_cost_fen", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("meter_id", name="pk_rating_state"),
    )
    op.create_table(
        "rated_usage",
        sa.Column("charge_id", sa.String(120), nullable=False),
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("from_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("to_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("energy_wh", sa.BigInteger, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("period_cost_fen", sa.BigInteger, nullable=False),
        sa.Column("price_yuan_per_kwh", sa.Numeric(14, 6), nullable=False),
        sa.Column("version_id", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("charge_id", name="pk_rated_usage"),
    )
    op.create_table(
        "quarantine",
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_wh", sa.BigInteger, nullable=False),
        sa.Column("last_total_wh", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "read_at", name="pk_quarantine"),
    )


def downgrade() -> None:
    for name in ("quarantine", "rated_usage", "rating_state"):
        op.drop_table(name)
    op.drop_index("ix_price_versions_meter_from", "price_versions")
    op.drop_table("price_versions")
    drop_kit_tables()
