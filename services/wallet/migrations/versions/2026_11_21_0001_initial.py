"""Ledger accounts, append-only transfers, tenant accounts and their meters, kit tables.

Revision ID: wal0001
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from services.kit.migration_ops import create_kit_tables, drop_kit_tables

revision = "wal0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = (
    """CREATE FUNCTION transfers_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'transfers are append-only: post a correcting transfer instead';
    END $$""",
    """CREATE TRIGGER transfers_append_only BEFORE UPDATE OR DELETE ON transfers
      FOR EACH ROW EXECUTE FUNCTION transfers_append_only()""",
)


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "ledger_accounts",
        sa.Column("ledger_account_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("debits_posted_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("credits_posted_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("ledger_account_id", name="pk_ledger_accounts"),
    )
    op.create_table(
        "transfers",
        sa.Column("transfer_id", sa.String(200), nullable=False),
        sa.Column("debit_account_id", sa.String(100), nullable=False),
        sa.Column("credit_account_id", sa.String(100), nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("transfer_id", name="pk_transfers"),
        sa.ForeignKeyConstraint(["debit_account_id"], ["ledger_accounts.ledger_account_id"],
                                name="fk_transfers_debit_account_id_ledger_accounts"),
        sa.ForeignKeyConstraint(["credit_account_id"], ["ledger_accounts.ledger_account_id"],
                                name="fk_transfers_credit_account_id_ledger_accounts"),
        sa.CheckConstraint("amount_fen > 0", name="ck_transfers_positive_amount"),
        sa.CheckConstraint("debit_account_id <> credit_account_id", name="ck_transfers_distinct_accounts"),
    )
    op.create_index("ix_transfers_debit", "transfers", ["debit_account_id"])
    op.create_index("ix_transfers_credit", "transfers", ["credit_account_id"])
    for statement in APPEND_ONLY:
        op.execute(statement)
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("tenant_name", sa.String(200), nullable=False),
        sa.Column("ledger_account_id", sa.String(100), nullable=False),
        sa.Column("cutoff_fen", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("in_arrears", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("account_id", name="pk_accounts"),
        sa.ForeignKeyConstraint(["ledger_account_id"], ["ledger_accounts.ledger_account_id"],
                                name="fk_accounts_ledger_account_id_ledger_accounts"),
    )
    op.create_table(
        "account_meters",
        sa.Column("meter_id", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", name="pk_account_meters"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"], name="fk_account_meters_account_id_accounts"),
    )
    op.execute("INSERT INTO ledger_accounts (ledger_account_id, kind) VALUES "
               "('sys:revenue:electricity', 'revenue_electricity'), ('sys:clearing:cash', 'cash_clearing')")


def downgrade() -> None:
    op.drop_table("account_meters")
    op.drop_table("accounts")
    op.execute("DROP TRIGGER transfers_append_only ON transfers")
    op.execute("DROP FUNCTION transfers_append_only()")
    op.drop_index("ix_transfers_credit", "transfers")
    op.drop_index("ix_transfers_debit", "transfers")
    op.drop_table("transfers")
    op.drop_table("ledger_accounts")
    drop_kit_tables()
