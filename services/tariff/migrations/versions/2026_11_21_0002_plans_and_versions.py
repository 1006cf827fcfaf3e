"""Plans with immutable versions and meter assignments (replacing price_versions); richer rating state.

Revision ID: tar0002
Revises: tar0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "tar0002"
down_revision = "tar0001"
branch_labels = None
depends_on = None


def state_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("last_bands_wh", ARRAY(sa.BigInteger), nullable=True),
        sa.Column("period_basic_yuan", sa.Numeric(24, 10), nullable=False, server_default="0"),
        sa.Column("period_demand_w", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("tier_key", sa.String(7), nullable=False, server_default=""),
        sa.Column("tier_units", sa.BigInteger, nullable=False, server_default="0"),
    )


# Each old single-price version becomes a version of a per-meter (or the default) single-price plan.
MOVE_PRICE_VERSIONS = (
    """INSERT INTO plans (plan_id, name, commodity)
       SELECT DISTINCT CASE WHEN meter_id = '' THEN 'default' ELSE 'single:' || meter_id END,
              CASE WHEN meter_id = '' THEN 'default' ELSE 'single price ' || meter_id END, 'electricity'
       FROM price_versions""",
    """INSERT INTO plan_versions (version_id, plan_id, effective_from, definition)
       SELECT version_id, CASE WHEN meter_id = '' THEN 'default' ELSE 'single:' || meter_id END, effective_from,
              jsonb_build_object('commodity', 'electricity', 'pricing', 'single',
                                 'price', price_yuan_per_kwh::text)
       FROM price_versions""",
    """INSERT INTO meter_plans (meter_id, effective_from, plan_id)
       SELECT meter_id, min(effective_from), 'single:' || meter_id FROM price_versions
       WHERE meter_id <> '' GROUP BY meter_id""",
)


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("commodity", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("plan_id", name="pk_plans"),
    )
    op.create_table(
        "plan_versions",
        sa.Column("version_id", sa.String(100), nullable=False),
        sa.Column("plan_id", sa.String(100), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("definition", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("version_id", name="pk_plan_versions"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.plan_id"], name="fk_plan_versions_plan_id_plans"),
    )
    op.create_index("ix_plan_versions_plan_from", "plan_versions", ["plan_id", "effective_from"])
    op.create_table(
        "meter_plans",
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("plan_id", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "effective_from", name="pk_meter_plans"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.plan_id"], name="fk_meter_plans_plan_id_plans"),
    )
    for statement in MOVE_PRICE_VERSIONS:
        op.execute(statement)
    op.drop_index("ix_price_versions_meter_from", "price_versions")
    op.drop_table("price_versions")
    for column in state_columns():
        op.add_column("rating_state", column)
    op.add_column("rated_usage", sa.Column("band_units", JSONB, nullable=True))


def downgrade() -> None:
    op.drop_column("rated_usage", "band_units")
    for column in state_columns():
        op.drop_column("rating_state", column.name)
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
    op.execute("""INSERT INTO price_versions (version_id, meter_id, price_yuan_per_kwh, effective_from)
                  SELECT v.version_id, CASE WHEN v.plan_id = 'default' THEN '' ELSE substr(v.plan_id, 8) END,
                         (v.definition->>'price')::numeric, v.effective_from
                  FROM plan_versions v
                  WHERE v.plan_id = 'default' OR v.plan_id LIKE 'single:%'""")
    op.drop_table("meter_plans")
    op.drop_index("ix_plan_versions_plan_from", "plan_versions")
    op.drop_table("plan_versions")
    op.drop_table("plans")
