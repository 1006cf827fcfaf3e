"""Tables of the tariff service.

plans / plan_versions / meter_plans make the timeline a meter is priced by: a plan
version is immutable once written (a price change is a new version with a future
effective_from), and an assignment moves a meter to a plan from a given time.
What a plan is for is its `kind` (shared, a meter's own single price, the default
plan), never its id.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from services.kit.db import make_metadata

metadata = make_metadata()

plans = Table(
    "plans", metadata,
    Column("plan_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("commodity", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("kind", String(20), nullable=False, server_default="shared"),  # domain.catalog.PlanKind
    Column("meter_id", String(64), nullable=True),                        # the meter a "meter" plan belongs to
    CheckConstraint("kind IN ('shared', 'meter', 'default')", name="kind"),
    CheckConstraint("(kind = 'meter') = (meter_id IS NOT NULL)", name="meter_plan_names_its_meter"),
    Index("uq_plans_one_default", "kind", unique=True, postgresql_where=text("kind = 'default'")),
    Index("uq_plans_one_per_meter", "meter_id", unique=True, postgresql_where=text("kind = 'meter'")),
)

plan_versions = Table(
    "plan_versions", metadata,
    Column("version_id", String(100), primary_key=True),
    Column("plan_id", String(100), ForeignKey("plans.plan_id"), nullable=False),
    Column("effective_from", DateTime(timezone=True), nullable=False),
    Column("definition", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

meter_plans = Table(
    "meter_plans", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("effective_from", DateTime(timezone=True), primary_key=True),
    Column("plan_id", String(100), ForeignKey("plans.plan_id"), nullable=False),
)

rating_state = Table(
    "rating_state", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("last_read_at", DateTime(timezone=True), nullable=False),
    Column("last_total_wh", BigInteger, nullable=False),       # Wh, or litres for water meters
    Column("last_bands_wh", ARRAY(BigInteger), nullable=True),  # sharp, peak, flat, valley, deep valley
    Column("period", String(7), nullable=False),
    Column("period_energy_wh", BigInteger, nullable=False),
    Column("period_cost_yuan", Numeric(24, 10), nullable=False),
    Column("period_basic_yuan", Numeric(24, 10), nullable=False, server_default="0"),
    Column("period_demand_w", BigInteger, nullable=False, server_default="0"),
    Column("period_cost_fen", BigInteger, nullable=False),
    Column("tier_key", String(7), nullable=False, server_default=""),
    Column("tier_units", BigInteger, nullable=False, server_default="0"),
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
    Column("band_units", JSONB, nullable=True),  # {"peak": Wh, ...} for time-of-use pieces
)

quarantine = Table(
    "quarantine", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("read_at", DateTime(timezone=True), primary_key=True),
    Column("total_wh", BigInteger, nullable=False),
    Column("last_total_wh", BigInteger, nullable=False),
    Column("reason", String(200), nullable=False),
)
