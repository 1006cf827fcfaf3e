"""Gateways, meters, readings, field commands, and the kit's outbox and inbox.

Revision ID: acq0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from services.kit.migration_ops import create_kit_tables, drop_kit_tables

revision = "acq0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "gateways",
        sa.Column("gateway_id", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer, nullable=False),
        sa.Column("protocol", sa.String(32), nullable=False),
        sa.Column("poll_interval_s", sa.Integer, nullable=True),
        sa.Column("online", sa.Boolean, nullable=False, server_default="true"),
        sa.PrimaryKeyConstraint("gateway_id", name="pk_gateways"),
    )
    op.create_table(
        "meters",
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("gateway_id", sa.String(64), nullable=False),
        sa.Column("device_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("ct_ratio", sa.Integer, nullable=False, server_default="1"),
        sa.Column("online", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("missed_polls", sa.Integer, nullable=False, server_default="0"),
        sa.Column("relay_state", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("last_total_wh", sa.BigInteger, nullable=True),
        sa.Column("last_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_power_w", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("meter_id", name="pk_meters"),
        sa.ForeignKeyConstraint(["gateway_id"], ["gateways.gateway_id"], name="fk_meters_gateway_id_gateways"),
        sa.UniqueConstraint("gateway_id", "device_id", name="uq_meters_gateway_id_device_id"),
    )
    op.create_table(
        "readings",
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        *[sa.Column(name, sa.BigInteger, nullable=False) for name in (
            "total_wh", "sharp_wh", "peak_wh", "flat_wh", "valley_wh", "deep_valley_wh", "reverse_wh")],
        *[sa.Column(name, sa.Integer, nullable=False) for name in (
            "voltage_dv", "current_ca", "power_w", "power_factor_milli")],
        sa.Column("relay_state", sa.SmallInteger, nullable=False),
        sa.Column("source", sa.SmallInteger, nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "read_at", name="pk_readings"),
    )
    op.create_table(
        "field_commands",
        sa.Column("command_id", sa.String(100), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("action", sa.SmallInteger, nullable=False),
        sa.Column("outcome", sa.SmallInteger, nullable=False),
        sa.Column("relay_state", sa.SmallInteger, nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("command_id", "attempt", name="pk_field_commands"),
    )


def downgrade() -> None:
    op.drop_table("field_commands")
    op.drop_table("readings")
    op.drop_table("meters")
    op.drop_table("gateways")
    drop_kit_tables()
