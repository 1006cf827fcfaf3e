"""When the console's registry (registry.events.v1 MeterPlaced) last placed each meter: the project
it set is kept unless a newer placement comes.

Revision ID: ctl0003
Revises: ctl0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "ctl0003"
down_revision = "ctl0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("meter_controls", sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("meter_controls", "placed_at")
