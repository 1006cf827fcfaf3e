"""Tables of the tariff service."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Numeric, String, Table, func

from services.kit.db import make_metadata

metadata = make_metadata()

price_versions = Table(
    "price_versions", metadata,
    Column("version_id", String(100), primary_key=True),
    Column("meter_id", String(64), nullable=False),  # "" = project default
    Column("price_yuan_per_kwh", Numeric(14, 6), nullable=False),
    Column("effective_from", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

rating_state = Table(
    "rating_state", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("last_read_at", DateTime(timezone=True), nullable=False),
    Column("last_total_wh", BigInteger, nullable=False),
    Column("period", String(7), nullable=False),
    Column("period_energy_wh", BigInteger, nullable=False),
    Column("period_cost_yuan", Numeric(24, 10), nullable=False),
    Column("period_cost_fen", BigInteger, nullable=False),
)

rated_usage = Table(
    "rated_usage", metadata,
    Column("charge_id", String(120), primary_key=True),
    Column("meter_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("from_time", DateTime(timezone=True), nullable=False),
    Column("to_time", DateTime(timezone=True), nullable=False),
    Column("energy_wh", BigInteger, nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("period_cost_fen", BigInteger, nullable=False),
    Column("price_yuan_per_kwh", Numeric(14, 6), nullable=False),
    Column("version_id", String(100), nullable=False),
)

quarantine = Table(
    "quarantine", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("read_at", DateTime(timezone=True), primary_key=True),
    Column("total_wh", BigInteger, nullable=False),
    Column("last_total_wh", BigInteger, nullable=False),
    Column("reason", String(200), nullable=False),
)
