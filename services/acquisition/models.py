"""Tables of the acquisition service (the schema itself is built by migrations/)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from services.kit.db import make_metadata

metadata = make_metadata()

gateways = Table(
    "gateways", metadata,
    Column("gateway_id", String(64), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("port", Integer, nullable=False),
    Column("protocol", String(32), nullable=False),
    Column("poll_interval_s", Integer, nullable=True),
    Column("online", Boolean, nullable=False, server_default="true"),
    Column("project_id", String(64), ForeignKey("projects.project_id"), nullable=True),
    Column("last_polled_at", DateTime(timezone=True), nullable=True),
)

projects = Table(
    "projects", metadata,
    Column("project_id", String(64), primary_key=True),
    Column("poll_interval_s", Integer, nullable=True),  # F-01: per project, default 30 minutes
)

meters = Table(
    "meters", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("gateway_id", String(64), ForeignKey("gateways.gateway_id"), nullable=False),
    Column("device_id", Integer, nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("ct_ratio", Integer, nullable=False, server_default="1"),
    Column("online", Boolean, nullable=False, server_default="true"),
    Column("missed_polls", Integer, nullable=False, server_default="0"),
    Column("relay_state", SmallInteger, nullable=False, server_default="0"),
    Column("last_total_wh", BigInteger, nullable=True),
    Column("last_read_at", DateTime(timezone=True), nullable=True),
    Column("last_power_w", Integer, nullable=True),
    Column("protocol", String(16), nullable=False, server_default="modbus"),  # modbus | dlt645 | cjt188
    Column("address", String(32), nullable=False, server_default=""),        # DL/T 645 / CJ/T 188 address
    Column("bus", SmallInteger, nullable=False, server_default="1"),
    Column("counter_state", JSONB, nullable=False, server_default="{}"),     # domain.counters.CounterState
    Column("last_volume_l", BigInteger, nullable=True),
    UniqueConstraint("gateway_id", "bus", "device_id"),
)

# Where the console placed each meter (registry.events.v1 MeterPlaced), by meter id: kept for meters
# not registered yet too, so the placement applies when they are. No foreign key to meters for that reason.
meter_placements = Table(
    "meter_placements", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("room_id", String(64), nullable=False),
    Column("property_id", String(64), nullable=False),   # the project (F-01 poll interval)
    Column("building_id", String(64), nullable=False),
    Column("area_m2", Numeric(12, 2), nullable=True),
    Column("placed_at", DateTime(timezone=True), nullable=False),  # the event's occurred_at
)

readings = Table(
    "readings", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("read_at", DateTime(timezone=True), primary_key=True),
    Column("total_wh", BigInteger, nullable=False),
    Column("sharp_wh", BigInteger, nullable=False),
    Column("peak_wh", BigInteger, nullable=False),
    Column("flat_wh", BigInteger, nullable=False),
    Column("valley_wh", BigInteger, nullable=False),
    Column("deep_valley_wh", BigInteger, nullable=False),
    Column("reverse_wh", BigInteger, nullable=False),
    Column("voltage_dv", Integer, nullable=False),
    Column("current_ca", Integer, nullable=False),
    Column("power_w", Integer, nullable=False),
    Column("power_factor_milli", Integer, nullable=False),
    Column("relay_state", SmallInteger, nullable=False),
    Column("source", SmallInteger, nullable=False),
    Column("volume_l", BigInteger, nullable=False, server_default="0"),
    # PARTITION BY RANGE (read_at), one partition per month: see migrations and repository.ensure_partitions.
)

field_commands = Table(
    "field_commands", metadata,
    Column("command_id", String(100), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("meter_id", String(64), nullable=False),
    Column("action", SmallInteger, nullable=False),
    Column("outcome", SmallInteger, nullable=False),
    Column("relay_state", SmallInteger, nullable=False),
    Column("detail", String(500), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=False),
)
