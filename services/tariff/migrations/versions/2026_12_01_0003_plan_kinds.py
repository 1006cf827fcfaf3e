"""What a plan is for goes in typed columns (kind, meter_id) instead of its id ('default', 'single:<meter>').

Revision ID: tar0003
Revises: tar0002
Create Date: 2026-12-01

Upgrade classifies the existing rows once, by the ids tar0002 and SetSinglePrice wrote; from
then on no code reads meaning out of a plan id. Downgrade gives the old schema what it
relies on: the default plan is the plan with id 'default' (one created under another id
is renamed to it, with its versions and assignments).
"""

import sqlalchemy as sa
from alembic import op

revision = "tar0003"
down_revision = "tar0002"
branch_labels = None
depends_on = None

CLASSIFY = (
    "UPDATE plans SET kind = 'default' WHERE plan_id = 'default'",
    "UPDATE plans SET kind = 'meter', meter_id = substr(plan_id, 8) WHERE plan_id LIKE 'single:%'",
)


def upgrade() -> None:
    op.add_column("plans", sa.Column("kind", sa.String(20), nullable=False, server_default="shared"))
    op.add_column("plans", sa.Column("meter_id", sa.String(64), nullable=True))
    for statement in CLASSIFY:
        op.execute(statement)
    op.create_check_constraint("ck_plans_kind", "plans", "kind IN ('shared', 'meter', 'default')")
    op.create_check_constraint("ck_plans_meter_plan_names_its_meter", "plans",
                               "(kind = 'meter') = (meter_id IS NOT NULL)")
    op.create_index("uq_plans_one_default", "plans", ["kind"], unique=True,
                    postgresql_where=sa.text("kind = 'default'"))
    op.create_index("uq_plans_one_per_meter", "plans", ["meter_id"], unique=True,
                    postgresql_where=sa.text("kind = 'meter'"))


# A default plan created under another id becomes plan 'default' again (the old code finds it by id).
RENAME_DEFAULT = (
    """INSERT INTO plans (plan_id, name, commodity, created_at, kind)
       SELECT 'default', name, commodity, created_at, 'shared' FROM plans
       WHERE kind = 'default' AND plan_id <> 'default'""",
    """UPDATE plan_versions SET plan_id = 'default'
       WHERE plan_id = (SELECT plan_id FROM plans WHERE kind = 'default' AND plan_id <> 'default')""",
    """UPDATE meter_plans SET plan_id = 'default'
       WHERE plan_id = (SELECT plan_id FROM plans WHERE kind = 'default' AND plan_id <> 'default')""",
    "DELETE FROM plans WHERE kind = 'default' AND plan_id <> 'default'",
)


def downgrade() -> None:
    taken = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM plans p, plans d WHERE p.plan_id = 'default' AND p.kind <> 'default'"
        " AND d.kind = 'default'")).scalar()
    if taken:
        raise RuntimeError("cannot downgrade: plan id 'default' belongs to a shared plan while another plan is "
                           "the default one; the old schema knows the default plan only by that id")
    for statement in RENAME_DEFAULT:
        op.execute(statement)
    op.drop_index("uq_plans_one_per_meter", "plans")
    op.drop_index("uq_plans_one_default", "plans")
    op.drop_constraint("ck_plans_meter_plan_names_its_meter", "plans", type_="check")
    op.drop_constraint("ck_plans_kind", "plans", type_="check")
    op.drop_column("plans", "meter_id")
    op.drop_column("plans", "kind")
