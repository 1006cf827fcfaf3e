"""Tables of the control service."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, SmallInteger, String, Table, func

from services.kit.db import make_metadata

metadata = make_metadata()

meter_controls = Table(
    "meter_controls", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("mode", String(20), nullable=False, server_default="prepaid"),
    Column("in_arrears", Boolean, nullable=False, server_default="false"),
    Column("known_state", SmallInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

commands = Table(
    "commands", metadata,
    Column("command_id", String(100), primary_key=True),
    Column("meter_id", String(64), nullable=False, index=True),
    Column("action", SmallInteger, nullable=False),
    Column("status", String(20), nullable=False),  # sent / confirmed / failed
    Column("attempt", Integer, nullable=False, server_default="1"),
    Column("requested_by", String(200), nullable=False),
    Column("reason", String(200), nullable=False),
    Column("detail", String(500), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=True),
)
