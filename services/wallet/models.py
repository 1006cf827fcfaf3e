"""Tables of the wallet service. transfers is append-only; ledger_accounts' posted totals are
derived from it in the same transaction and re-proved by reconciliation."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, DateTime, ForeignKey, String, Table, func

from services.kit.db import make_metadata

metadata = make_metadata()

ledger_accounts = Table(
    "ledger_accounts", metadata,
    Column("ledger_account_id", String(100), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("debits_posted_fen", BigInteger, nullable=False, server_default="0"),
    Column("credits_posted_fen", BigInteger, nullable=False, server_default="0"),
)

transfers = Table(
    "transfers", metadata,
    Column("transfer_id", String(200), primary_key=True),
    Column("debit_account_id", String(100), ForeignKey("ledger_accounts.ledger_account_id"), nullable=False),
    Column("credit_account_id", String(100), ForeignKey("ledger_accounts.ledger_account_id"), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("reference", String(200), nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
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
)

account_meters = Table(
    "account_meters", metadata,
    Column("meter_id", String(64), primary_key=True),
    Column("account_id", String(64), ForeignKey("accounts.account_id"), nullable=False),
)
