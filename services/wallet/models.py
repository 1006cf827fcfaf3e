"""Tables of the wallet service. transfers is append-only; ledger_accounts' posted totals are
derived from it in the same transaction and re-proved by reconciliation.

Ids are opaque keys: what a ledger account or a transfer is for lives in its typed columns
(kind, owner account, purse, channel, order, charge, reversed transfer).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from services.kit.db import make_metadata

metadata = make_metadata()

ledger_accounts = Table(
    "ledger_accounts", metadata,
    Column("ledger_account_id", String(100), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("debits_posted_fen", BigInteger, nullable=False, server_default="0"),
    Column("credits_posted_fen", BigInteger, nullable=False, server_default="0"),
    Column("owner_account_id", String(64), nullable=True),     # tenant wallets: whose
    Column("purse", String(20), nullable=True),                # wallets and revenue accounts
    Column("channel", String(20), nullable=True),              # clearing accounts
    UniqueConstraint("owner_account_id", "purse"),
)

transfers = Table(
    "transfers", metadata,
    Column("transfer_id", String(200), primary_key=True),
    Column("debit_account_id", String(100), ForeignKey("ledger_accounts.ledger_account_id"), nullable=False),
    Column("credit_account_id", String(100), ForeignKey("ledger_accounts.ledger_account_id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("reference", String(200), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("clock_timestamp()")),
    Column("owner_account_id", String(64), nullable=True),     # the tenant account it was posted for
    Column("channel", String(20), nullable=True),              # the payment channel money moved through
    Column("order_id", String(64), nullable=True),             # the payment order it settles
    Column("charge_id", String(200), nullable=True),           # the usage charge it posts
    Column("reverses_transfer_id", String(200), nullable=True, unique=True),  # at most one reversal each
    CheckConstraint("amount_fen > 0", name="positive_amount"),
    CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
)

accounts = Table(
    "accounts", metadata,
    Column("account_id", String(64), primary_key=True),
    Column("tenant_name", String(200), nullable=False),
    Column("ledger_account_id", String(100), ForeignKey("ledger_accounts.ledger_account_id"), nullable=False),
    Column("cutoff_fen", BigInteger, nullable=False, server_default="0"),
    Column("in_arrears", Boolean, nullable=False, server_default="false"),
    Column("opened_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("project_id", String(64), nullable=False, server_default=""),
    Column("mode", String(20), nullable=False, server_default="prepaid"),
    Column("settlement", String(20), nullable=False, server_default="realtime"),
    Column("water_ledger_account_id", String(100), nullable=True),
    Column("status", String(20), nullable=False, server_default="open"),
    Column("alarm_thresholds_fen", ARRAY(BigInteger), nullable=False, server_default="{}"),
    Column("alarm_repeats", ARRAY(Integer), nullable=False, server_default="{}"),
    Column("alarm_level", Integer, nullable=False, server_default="0"),
    Column("tenant_id", String(64), nullable=False, server_default=""),   # the console's tenant
)

# The console's registry as the wallet last heard it (registry.events.v1), by account and by meter,
# for accounts and meters the wallet may not have yet; placed_at orders placements.
account_placements = Table(
    "account_placements", metadata,
    Column("account_id", String(64), primary_key=True),
    Column("tenant_id", String(64), nullable=False),
    Column("property_id", String(64), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
)

meter_placements = Table(
    "meter_placements", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("property_id", String(64), nullable=False),
    Column("placed_at", DateTime(timezone=True), nullable=False),
)

account_meters = Table(
    "account_meters", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.account_id"), nullable=False),
)

payment_orders = Table(
    "payment_orders", metadata,
    Column("order_id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.account_id"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("purse", String(20), nullable=False, server_default="electricity"),
    Column("amount_fen", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("channel_transaction_id", String(64), nullable=True),
    Column("transfer_id", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("paid_at", DateTime(timezone=True), nullable=True),
)

payment_callbacks = Table(
    "payment_callbacks", metadata,
    Column("callback_id", BigInteger, primary_key=True, autoincrement=True),
    Column("channel", String(20), nullable=False),
    Column("order_id", String(64), nullable=False, server_default=""),
    Column("outcome", String(20), nullable=False),
    Column("reason", String(300), nullable=False, server_default=""),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

fee_agreements = Table(
    "fee_agreements", metadata,
    Column("project_id", String(64), primary_key=True),
    Column("fee_ratio", Numeric(7, 6), nullable=False),
)

accrued_charges = Table(
    "accrued_charges", metadata,
    Column("charge_id", String(200), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("purse", String(20), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
)

bills = Table(
    "bills", metadata,
    Column("bill_id", String(120), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("period", String(7), nullable=False),
    Column("electricity_fen", BigInteger, nullable=False),
    Column("water_fen", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("confirmed_by", String(100), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

ownership_changes = Table(
    "ownership_changes", metadata,
    Column("change_id", String(120), primary_key=True),
    Column("account_id", String(64), nullable=False),
    Column("old_tenant_name", String(200), nullable=False),
    Column("new_tenant_name", String(200), nullable=False),
    Column("settled_fen", BigInteger, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
