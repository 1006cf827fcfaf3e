"""Tables of the acquisition service (the schema itself is built by migrations/)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)

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
    UniqueConstraint("gateway_id", "device_id"),
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
