"""Meter placements from the console's registry (registry.events.v1 MeterPlaced): room, property
(the project), building and area per meter id, with the event time that orders them.

Revision ID: acq0003
Revises: acq0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "acq0003"
down_revision = "acq0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meter_placements",
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("room_id", sa.String(64), nullable=False),
        sa.Column("property_id", sa.String(64), nullable=False),
        sa.Column("building_id", sa.String(64), nullable=False),
        sa.Column("area_m2", sa.Numeric(12, 2), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", name="pk_meter_placements"),
    )


def downgrade() -> None:
    op.drop_table("meter_placements")
