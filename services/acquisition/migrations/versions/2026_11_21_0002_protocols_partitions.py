"""Protocols and addresses, projects, counter normalisation, and readings partitioned by month.

Revision ID: acq0002
Revises: acq0001
Create Date: 2026-11-21

Readings move to a table partitioned by RANGE (read_at), one partition per calendar month
(UTC), named readings_yYYYYmMM; the service creates partitions ahead of time and for any
month a backfilled reading needs. Existing rows are copied across.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "acq0002"
down_revision = "acq0001"
branch_labels = None
depends_on = None

READING_COLUMNS = """
    meter_id varchar(64) NOT NULL,
    read_at timestamptz NOT NULL,
    total_wh bigint NOT NULL, sharp_wh bigint NOT NULL, peak_wh bigint NOT NULL, flat_wh bigint NOT NULL,
    valley_wh bigint NOT NULL, deep_valley_wh bigint NOT NULL, reverse_wh bigint NOT NULL,
    voltage_dv integer NOT NULL, current_ca integer NOT NULL, power_w integer NOT NULL,
    power_factor_milli integer NOT NULL, relay_state smallint NOT NULL, source smallint NOT NULL"""
OLD_COLUMNS = ("meter_id, read_at, total_wh, sharp_wh, peak_wh, flat_wh, valley_wh, deep_valley_wh, reverse_wh, "
               "voltage_dv, current_ca, power_w, power_factor_milli, relay_state, source")


def upgrade() -> None:
    op.create_table(
        "projects",
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("poll_interval_s", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("project_id", name="pk_projects"),
    )
    op.add_column("gateways", sa.Column("project_id", sa.String(64), nullable=True))
    op.add_column("gateways", sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key("fk_gateways_project_id_projects", "gateways", "projects", ["project_id"], ["project_id"])
    op.add_column("meters", sa.Column("protocol", sa.String(16), nullable=False, server_default="modbus"))
    op.add_column("meters", sa.Column("address", sa.String(32), nullable=False, server_default=""))
    op.add_column("meters", sa.Column("bus", sa.SmallInteger, nullable=False, server_default="1"))
    op.add_column("meters", sa.Column("counter_state", postgresql.JSONB, nullable=False, server_default="{}"))
    op.add_column("meters", sa.Column("last_volume_l", sa.BigInteger, nullable=True))
    op.drop_constraint("uq_meters_gateway_id_device_id", "meters")
    op.create_unique_constraint("uq_meters_gateway_id_bus_device_id", "meters", ["gateway_id", "bus", "device_id"])
    op.execute("ALTER TABLE readings RENAME TO readings_unpartitioned")
    op.execute("ALTER TABLE readings_unpartitioned RENAME CONSTRAINT pk_readings TO pk_readings_unpartitioned")
    op.execute(f"CREATE TABLE readings ({READING_COLUMNS}, volume_l bigint NOT NULL DEFAULT 0, "
               "CONSTRAINT pk_readings PRIMARY KEY (meter_id, read_at)) PARTITION BY RANGE (read_at)")
    op.execute("""
        DO $$ DECLARE month date; BEGIN
          FOR month IN SELECT DISTINCT date_trunc('month', read_at AT TIME ZONE 'UTC')::date
                       FROM readings_unpartitioned LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
                           'readings_y' || to_char(month, 'YYYY') || 'm' || to_char(month, 'MM'),
                           month::timestamp AT TIME ZONE 'UTC', (month + interval '1 month') AT TIME ZONE 'UTC');
          END LOOP; END $$""")
    op.execute(f"INSERT INTO readings ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM readings_unpartitioned")
    op.drop_table("readings_unpartitioned")


def downgrade() -> None:
    op.execute(f"CREATE TABLE readings_unpartitioned ({READING_COLUMNS}, "
               "CONSTRAINT pk_readings_unpartitioned PRIMARY KEY (meter_id, read_at))")
    op.execute(f"INSERT INTO readings_unpartitioned ({OLD_COLUMNS}) SELECT {OLD_COLUMNS} FROM readings")
    op.execute("DROP TABLE readings CASCADE")
    op.execute("ALTER TABLE readings_unpartitioned RENAME TO readings")
    op.execute("ALTER TABLE readings RENAME CONSTRAINT pk_readings_unpartitioned TO pk_readings")
    op.drop_constraint("uq_meters_gateway_id_bus_device_id", "meters")
    op.create_unique_constraint("uq_meters_gateway_id_device_id", "meters", ["gateway_id", "device_id"])
    for column in ("last_volume_l", "counter_state", "bus", "address", "protocol"):
        op.drop_column("meters", column)
    op.drop_constraint("fk_gateways_project_id_projects", "gateways")
    op.drop_column("gateways", "last_polled_at")
    op.drop_column("gateways", "project_id")
    op.drop_table("projects")
