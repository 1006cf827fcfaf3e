"""Console tables: the org tree, tenants and leases, operators and grants, the audit log, idempotency
keys, and read models projected from the other services' topics (meters, accounts, commands)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from services.console.ltree import Ltree
from services.kit.db import make_metadata

metadata = make_metadata()


def _stamps() -> list[Column]:
    return [Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
            Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())]


nodes = Table(
    "nodes", metadata,
    Column("node_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(100), nullable=False),
    Column("parent_id", String(64), ForeignKey("nodes.node_id"), nullable=True),
    Column("path", Ltree(), nullable=False, unique=True),
    Column("property_id", String(64), nullable=True),
    Column("area_m2", Numeric(12, 2), nullable=True),
    Column("room_use", String(16), nullable=True),
    *_stamps(),
    Index("ix_nodes_path_gist", "path", postgresql_using="gist"),
    Index("ix_nodes_parent", "parent_id"),
)

tenants = Table(
    "tenants", metadata,
    Column("tenant_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("phone", String(20), nullable=False, server_default=""),
    Column("email", String(200), nullable=False, server_default=""),
    Column("wechat_openid", String(64), nullable=False, server_default=""),
    Column("language", String(8), nullable=False, server_default="zh-CN"),
    Column("property_id", String(64), ForeignKey("nodes.node_id"), nullable=False),
    Column("path", Ltree(), nullable=False),
    *_stamps(),
    Index("ix_tenants_path_gist", "path", postgresql_using="gist"),
    Index("ix_tenants_phone", "phone"),
)

leases = Table(
    "leases", metadata,
    Column("lease_id", String(64), primary_key=True),
    Column("tenant_id", String(64), ForeignKey("tenants.tenant_id"), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),
    Column("property_id", String(64), nullable=False),
    Column("path", Ltree(), nullable=False),
    *_stamps(),
    Index("ix_leases_tenant", "tenant_id"),
)

lease_rooms = Table(
    "lease_rooms", metadata,
    Column("lease_id", String(64), ForeignKey("leases.lease_id"), primary_key=True),
    Column("room_id", String(64), ForeignKey("nodes.node_id"), primary_key=True),
)

# Read model: a meter's place (from console itself) and its live state (from the topics).
meters = Table(
    "meters", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("room_id", String(64), ForeignKey("nodes.node_id"), nullable=False),
    Column("property_id", String(64), nullable=False),
    Column("path", Ltree(), nullable=False),
    Column("kind", String(16), nullable=False, server_default="electricity"),
    Column("gateway_id", String(64), nullable=False, server_default=""),
    Column("online", Boolean, nullable=True),                 # null: never heard of
    Column("relay_state", String(16), nullable=False, server_default="unknown"),  # closed / open / unknown
    Column("control_mode", String(16), nullable=False, server_default="prepaid"),  # prepaid / guarantee / forced_off
    Column("last_read_at", DateTime(timezone=True), nullable=True),
    Column("total_wh", BigInteger, nullable=True),
    Column("volume_l", BigInteger, nullable=True),
    Column("bands_wh", ARRAY(BigInteger), nullable=True),    # sharp, peak, flat, valley, deep valley
    Column("voltage_dv", Integer, nullable=True),
    Column("current_ca", Integer, nullable=True),
    Column("power_w", Integer, nullable=True),
    Column("power_factor_milli", Integer, nullable=True),
    Column("status_changed_at", DateTime(timezone=True), nullable=True),
    *_stamps(),
    Index("ix_meters_path_gist", "path", postgresql_using="gist"),
    Index("ix_meters_room", "room_id"),
    Index("ix_meters_gateway", "gateway_id"),
)

# Read model: consumption and money per meter and China-time day (today's figures, reports).
meter_days = Table(
    "meter_days", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("property_id", String(64), nullable=False),
    Column("path", Ltree(), nullable=False),
    Column("first_wh", BigInteger, nullable=True),
    Column("last_wh", BigInteger, nullable=True),
    Column("energy_wh", BigInteger, nullable=False, server_default="0"),
    Column("amount_fen", BigInteger, nullable=False, server_default="0"),
    Column("last_charge_to", DateTime(timezone=True), nullable=True),  # charges up to here are counted
    Index("ix_meter_days_path_gist", "path", postgresql_using="gist"),
    Index("ix_meter_days_day", "day"),
)

gateways = Table(
    "gateways", metadata,
    Column("gateway_id", String(64), primary_key=True),
    Column("property_id", String(64), nullable=False),
    Column("path", Ltree(), nullable=False),
    Column("online", Boolean, nullable=True),
    Column("changed_at", DateTime(timezone=True), nullable=True),
    Index("ix_gateways_path_gist", "path", postgresql_using="gist"),
)

# Read model: an account's owner and place (console) and its balance state (wallet.events.v1).
accounts = Table(
    "accounts", metadata,
    Column("account_id", String(64), primary_key=True),
    Column("tenant_id", String(64), ForeignKey("tenants.tenant_id"), nullable=True),
    Column("property_id", String(64), nullable=False),
    Column("path", Ltree(), nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("balance_fen", BigInteger, nullable=False, server_default="0"),
    Column("balance_at", DateTime(timezone=True), nullable=True),
    Column("cutoff_fen", BigInteger, nullable=False, server_default="0"),
    Column("alarm_level", Integer, nullable=False, server_default="0"),
    Column("in_arrears", Boolean, nullable=False, server_default="false"),
    *_stamps(),
    Index("ix_accounts_path_gist", "path", postgresql_using="gist"),
    Index("ix_accounts_tenant", "tenant_id"),
)

account_meters = Table(
    "account_meters", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.account_id"), nullable=False),
    Index("ix_account_meters_account", "account_id"),
)

# Read model of control.events.v1 (final outcomes) and of the commands console submitted.
commands = Table(
    "commands", metadata,
    Column("command_id", String(100), primary_key=True),
    Column("meter_id", String(64), nullable=False),
    Column("property_id", String(64), nullable=False),
    Column("path", Ltree(), nullable=False),
    Column("action", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("requested_by", String(100), nullable=False, server_default=""),
    Column("reason", String(200), nullable=False, server_default=""),
    Column("detail", String(500), nullable=False, server_default=""),
    Column("batch_id", String(100), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    Index("ix_commands_path_gist", "path", postgresql_using="gist"),
    Index("ix_commands_meter", "meter_id", "created_at"),
)

batches = Table(
    "batches", metadata,
    Column("batch_id", String(100), primary_key=True),
    Column("kind", String(32), nullable=False),            # control operation or "topup" / "refund"
    Column("property_id", String(64), nullable=True),
    Column("path", Ltree(), nullable=False),                # the scope it was given in
    Column("requested_by", String(100), nullable=False),
    Column("items", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_batches_path_gist", "path", postgresql_using="gist"),
)

# Every money movement console asked wallet for: receipts, reversal lookups, the counter's day.
money_movements = Table(
    "money_movements", metadata,
    Column("transfer_id", String(100), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.account_id"), nullable=False),
    Column("kind", String(16), nullable=False),             # recharge / refund / reversal / opening / closing
    Column("amount_fen", BigInteger, nullable=False),
    Column("channel", String(32), nullable=False, server_default="cash"),
    Column("purse", String(16), nullable=False, server_default="electricity"),
    Column("operator", String(100), nullable=False),
    Column("reverses_transfer_id", String(100), nullable=True),
    Column("balance_after_fen", BigInteger, nullable=True),
    Column("property_id", String(64), nullable=False),
    Column("path", Ltree(), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_money_movements_path_gist", "path", postgresql_using="gist"),
    Index("ix_money_movements_account", "account_id", "created_at"),
)

# Tariff plans created through console, with the property they belong to (tariff keeps the prices).
plans = Table(
    "plans", metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("property_id", String(64), nullable=False),
    Column("path", Ltree(), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_plans_path_gist", "path", postgresql_using="gist"),
)

operators = Table(
    "operators", metadata,
    Column("operator_id", String(64), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("disabled", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

roles = Table(
    "roles", metadata,
    Column("role_id", String(64), primary_key=True),
    Column("name_zh", String(64), nullable=False),
    Column("name_en", String(64), nullable=False),
    Column("permissions", ARRAY(String(32)), nullable=False),
    Column("built_in", Boolean, nullable=False, server_default="false"),
)

grants = Table(
    "grants", metadata,
    Column("grant_id", String(64), primary_key=True),
    Column("operator_id", String(64), ForeignKey("operators.operator_id"), nullable=False),
    Column("role_id", String(64), ForeignKey("roles.role_id"), nullable=False),
    Column("node_id", String(64), ForeignKey("nodes.node_id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("operator_id", "role_id", "node_id"),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("token_id", String(64), primary_key=True),
    Column("operator_id", String(64), ForeignKey("operators.operator_id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),   # sha256 hex; the token is shown once
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
)

# F-61 system log. Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE (migration 0001).
audit_log = Table(
    "audit_log", metadata,
    Column("audit_id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor_kind", String(16), nullable=False),       # operator / tenant / system / anonymous
    Column("actor", String(100), nullable=False),
    Column("address", String(64), nullable=False, server_default=""),
    Column("action", String(64), nullable=False),
    Column("target_kind", String(32), nullable=False, server_default=""),
    Column("target_id", String(100), nullable=False, server_default=""),
    Column("path", Ltree(), nullable=True),                 # where the target lies (scoped search)
    Column("request_id", String(64), nullable=False, server_default=""),
    Column("outcome", String(16), nullable=False),          # ok / failed / denied
    Column("before", JSONB, nullable=True),
    Column("after", JSONB, nullable=True),
    Column("detail", Text, nullable=False, server_default=""),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_actor", "actor", "at"),
    Index("ix_audit_log_target", "target_kind", "target_id", "at"),
    Index("ix_audit_log_path_gist", "path", postgresql_using="gist"),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("actor", String(100), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),           # null while the first request is running
    Column("response", JSONB, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
