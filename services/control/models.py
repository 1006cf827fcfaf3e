"""Tables of the control service (built by its Alembic migrations, never by create_all)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Time,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from services.kit.db import make_metadata

metadata = make_metadata()

meter_controls = Table(
    "meter_controls", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("mode", String(20), nullable=False, server_default="prepaid"),
    Column("in_arrears", Boolean, nullable=False, server_default="false"),
    Column("known_state", SmallInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("kind", SmallInteger, nullable=False, server_default="1"),
    Column("project", String(100), nullable=False, server_default=""),
    Column("building", String(100), nullable=False, server_default=""),
    Column("floor", String(100), nullable=False, server_default=""),
    Column("tenant", String(200), nullable=False, server_default=""),
    Column("overload_threshold_w", Integer, nullable=False, server_default="0"),
    Column("overload_tripped", Boolean, nullable=False, server_default="false"),
    Column("online", Boolean, nullable=False, server_default="true"),
    Column("last_power_w", Integer, nullable=False, server_default="0"),
    # An arrears cut held back by a protection window is looked at again at this time.
    Column("cut_check_at", DateTime(timezone=True), nullable=True, index=True),
    # The time of the console's placement that set `project` (registry.events.v1): older ones are ignored.
    Column("placed_at", DateTime(timezone=True), nullable=True),
)

commands = Table(
    "commands", metadata,
    Column("command_id", String(100), primary_key=True),
    Column("meter_id", String(64), nullable=False, index=True),
    Column("action", SmallInteger, nullable=False),
    Column("status", String(20), nullable=False),  # queued / sent / confirmed / failed / cancelled
    Column("attempt", Integer, nullable=False, server_default="1"),
    Column("requested_by", String(200), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("detail", String(500), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("seq", BigInteger, Identity(), nullable=False),  # per-meter order
    Column("origin", String(20), nullable=False, server_default="auto"),
    Column("batch_id", String(100), nullable=True, index=True),
    Column("attempt_limit", Integer, nullable=False, server_default="3"),
    Column("settings", JSONB, nullable=True),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("result_deadline", DateTime(timezone=True), nullable=True),
    Column("relay_state", SmallInteger, nullable=False, server_default="0"),
)

command_attempts = Table(
    "command_attempts", metadata,
    Column("command_id", String(100), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Column("outcome", String(20), nullable=False, server_default=""),  # confirmed / failed / timeout
    Column("detail", String(500), nullable=False, server_default=""),
    Column("relay_state", SmallInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("command_id", "attempt"),
)

batches = Table(
    "batches", metadata,
    Column("batch_id", String(100), primary_key=True),
    Column("operation", SmallInteger, nullable=False),
    Column("status", String(20), nullable=False),  # scheduled / running / done / cancelled
    Column("selection", JSONB, nullable=False),
    Column("settings", JSONB, nullable=True),
    Column("requested_by", String(200), nullable=False),
    Column("reason", String(200), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("run_at", DateTime(timezone=True), nullable=False, index=True),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("total", Integer, nullable=False, server_default="0"),
)

protection_windows = Table(
    "protection_windows", metadata,
    Column("project", String(100), primary_key=True),
    Column("night_start", Time, nullable=True),
    Column("night_end", Time, nullable=True),
    Column("weekends", Boolean, nullable=False, server_default="false"),
    Column("holidays", Boolean, nullable=False, server_default="false"),
    Column("timezone", String(64), nullable=False, server_default="Asia/Shanghai"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
