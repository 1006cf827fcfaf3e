"""Command lifecycle (queue, attempts, retries), batches, protection windows, meter tags.

Revision ID: ctl0002
Revises: ctl0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "ctl0002"
down_revision = "ctl0001"
branch_labels = None
depends_on = None

METER_COLUMNS = (
    ("kind", sa.SmallInteger, "1"),
    ("project", sa.String(100), ""),
    ("building", sa.String(100), ""),
    ("floor", sa.String(100), ""),
    ("tenant", sa.String(200), ""),
    ("overload_threshold_w", sa.Integer, "0"),
    ("overload_tripped", sa.Boolean, "false"),
    ("online", sa.Boolean, "true"),
    ("last_power_w", sa.Integer, "0"),
)
COMMAND_COLUMNS = (
    ("origin", sa.String(20), "auto"),
    ("attempt_limit", sa.Integer, "3"),
    ("relay_state", sa.SmallInteger, "0"),
)
COMMAND_NULLABLE = (
    ("batch_id", sa.String(100)),
    ("settings", JSONB),
    ("sent_at", sa.DateTime(timezone=True)),
    ("next_attempt_at", sa.DateTime(timezone=True)),
    ("result_deadline", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    for name, type_, default in METER_COLUMNS:
        op.add_column("meter_controls", sa.Column(name, type_, nullable=False, server_default=default))
    op.add_column("meter_controls", sa.Column("cut_check_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_meter_controls_cut_check_at", "meter_controls", ["cut_check_at"])
    for name, type_, default in COMMAND_COLUMNS:
        op.add_column("commands", sa.Column(name, type_, nullable=False, server_default=default))
    for name, type_ in COMMAND_NULLABLE:
        op.add_column("commands", sa.Column(name, type_, nullable=True))
    op.add_column("commands", sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False))
    op.create_index("ix_commands_batch_id", "commands", ["batch_id"])
    op.create_index("ix_commands_meter_id_seq", "commands", ["meter_id", "seq"])
    # The dispatcher's and the timeout sweep's working set: only commands not yet final.
    op.create_index("ix_commands_open", "commands", ["status", "next_attempt_at"],
                    postgresql_where=sa.text("status IN ('queued', 'sent')"))
    _create_new_tables()


def _create_new_tables() -> None:
    op.create_table(
        "command_attempts",
        sa.Column("command_id", sa.String(100), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False, server_default=""),
        sa.Column("detail", sa.String(500), nullable=False, server_default=""),
        sa.Column("relay_state", sa.SmallInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("command_id", "attempt", name="pk_command_attempts"),
    )
    op.create_table(
        "batches",
        sa.Column("batch_id", sa.String(100), nullable=False),
        sa.Column("operation", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("selection", JSONB, nullable=False),
        sa.Column("settings", JSONB, nullable=True),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("batch_id", name="pk_batches"),
    )
    op.create_index("ix_batches_run_at", "batches", ["run_at"])
    op.create_table(
        "protection_windows",
        sa.Column("project", sa.String(100), nullable=False),
        sa.Column("night_start", sa.Time, nullable=True),
        sa.Column("night_end", sa.Time, nullable=True),
        sa.Column("weekends", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("holidays", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="Asia/Shanghai"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("project", name="pk_protection_windows"),
    )


def downgrade() -> None:
    op.drop_table("protection_windows")
    op.drop_index("ix_batches_run_at", "batches")
    op.drop_table("batches")
    op.drop_table("command_attempts")
    op.drop_index("ix_commands_open", "commands")
    op.drop_index("ix_commands_meter_id_seq", "commands")
    op.drop_index("ix_commands_batch_id", "commands")
    for name in ("seq", *(n for n, _ in COMMAND_NULLABLE), *(n for n, _, _ in COMMAND_COLUMNS)):
        op.drop_column("commands", name)
    op.drop_index("ix_meter_controls_cut_check_at", "meter_controls")
    op.drop_column("meter_controls", "cut_check_at")
    for name, _, _ in METER_COLUMNS:
        op.drop_column("meter_controls", name)
