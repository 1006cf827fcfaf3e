"""Account modes, purses and alarm levels; payment orders and callbacks; accrued charges and bills;
service-fee agreements; ownership changes; transfer time from the clock (for latency figures).

Revision ID: wal0002
Revises: wal0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "wal0002"
down_revision = "wal0001"
branch_labels = None
depends_on = None

SYSTEM_ACCOUNTS = (
    ("sys:revenue:water", "revenue_water"),
    ("sys:income:service-fee", "fee_income"),
    ("sys:clearing:wechat", "channel_clearing"),
    ("sys:clearing:alipay", "channel_clearing"),
    ("sys:clearing:bank", "channel_clearing"),
    ("sys:clearing:ic_card", "channel_clearing"),
    ("sys:clearing:unionpay", "channel_clearing"),
)


def account_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("project_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("mode", sa.String(20), nullable=False, server_default="prepaid"),
        sa.Column("settlement", sa.String(20), nullable=False, server_default="realtime"),
        sa.Column("water_ledger_account_id", sa.String(100), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("alarm_thresholds_fen", ARRAY(sa.BigInteger), nullable=False, server_default="{}"),
        sa.Column("alarm_repeats", ARRAY(sa.Integer), nullable=False, server_default="{}"),
        sa.Column("alarm_level", sa.Integer, nullable=False, server_default="0"),
    )


def upgrade() -> None:
    for column in account_columns():
        op.add_column("accounts", column)
    op.alter_column("transfers", "created_at", server_default=sa.text("clock_timestamp()"))
    op.create_index("ix_transfers_kind", "transfers", ["kind"])
    op.create_table(
        "payment_orders",
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("purse", sa.String(20), nullable=False, server_default="electricity"),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("channel_transaction_id", sa.String(64), nullable=True),
        sa.Column("transfer_id", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("order_id", name="pk_payment_orders"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"], name="fk_payment_orders_account_id_accounts"),
        sa.UniqueConstraint("channel", "channel_transaction_id", name="uq_payment_orders_channel_transaction"),
        sa.CheckConstraint("amount_fen > 0", name="ck_payment_orders_positive_amount"),
    )
    op.create_table(
        "payment_callbacks",
        sa.Column("callback_id", sa.BigInteger, autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False, server_default=""),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("callback_id", name="pk_payment_callbacks"),
    )
    op.create_table(
        "fee_agreements",
        sa.Column("project_id", sa.String(64), nullable=False),
        sa.Column("fee_ratio", sa.Numeric(7, 6), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name="pk_fee_agreements"),
        sa.CheckConstraint("fee_ratio >= 0 AND fee_ratio < 1", name="ck_fee_agreements_ratio_range"),
    )
    op.create_table(
        "accrued_charges",
        sa.Column("charge_id", sa.String(200), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("purse", sa.String(20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("charge_id", name="pk_accrued_charges"),
    )
    op.create_index("ix_accrued_charges_account_period", "accrued_charges", ["account_id", "period"])
    op.create_table(
        "bills",
        sa.Column("bill_id", sa.String(120), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("electricity_fen", sa.BigInteger, nullable=False),
        sa.Column("water_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("confirmed_by", sa.String(100), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("bill_id", name="pk_bills"),
    )
    op.create_table(
        "ownership_changes",
        sa.Column("change_id", sa.String(120), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("old_tenant_name", sa.String(200), nullable=False),
        sa.Column("new_tenant_name", sa.String(200), nullable=False),
        sa.Column("settled_fen", sa.BigInteger, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("change_id", name="pk_ownership_changes"),
    )
    rows = ", ".join(f"('{account_id}', '{kind}')" for account_id, kind in SYSTEM_ACCOUNTS)
    op.execute(f"INSERT INTO ledger_accounts (ledger_account_id, kind) VALUES {rows} ON CONFLICT DO NOTHING")


def downgrade() -> None:
    ids = ", ".join(f"'{account_id}'" for account_id, _ in SYSTEM_ACCOUNTS)
    op.execute(f"""DELETE FROM ledger_accounts WHERE ledger_account_id IN ({ids})
                   AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.debit_account_id = ledger_account_id
                                   OR t.credit_account_id = ledger_account_id)""")
    for name in ("ownership_changes", "bills"):
        op.drop_table(name)
    op.drop_index("ix_accrued_charges_account_period", "accrued_charges")
    for name in ("accrued_charges", "fee_agreements", "payment_callbacks", "payment_orders"):
        op.drop_table(name)
    op.drop_index("ix_transfers_kind", "transfers")
    op.alter_column("transfers", "created_at", server_default=sa.func.now())
    for column in account_columns():
        op.drop_column("accounts", column.name)
