"""Typed links instead of meaning packed into ids: ledger accounts get owner account, purse and
channel; transfers get owner account, channel, payment order, usage charge and the transfer they
reverse. Existing rows are backfilled from the id formats used until now (this revision is the
one place that still knows them); the ids themselves stay as they are, they are the idempotency
keys. Downgrade drops the columns; nothing is lost, the ids still carry the old meaning.

Revision ID: wal0003
Revises: wal0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "wal0003"
down_revision = "wal0002"
branch_labels = None
depends_on = None

LEDGER_BACKFILL = (
    # Tenant wallets: named by the accounts that use them, never by parsing the id.
    """UPDATE ledger_accounts la SET owner_account_id = a.account_id, purse = 'electricity'
       FROM accounts a WHERE a.ledger_account_id = la.ledger_account_id""",
    """UPDATE ledger_accounts la SET owner_account_id = a.account_id, purse = 'water'
       FROM accounts a WHERE a.water_ledger_account_id = la.ledger_account_id""",
    "UPDATE ledger_accounts SET purse = 'electricity' WHERE kind = 'revenue_electricity'",
    "UPDATE ledger_accounts SET purse = 'water' WHERE kind = 'revenue_water'",
    "UPDATE ledger_accounts SET channel = 'cash' WHERE kind = 'cash_clearing'",
    """UPDATE ledger_accounts SET channel = substr(ledger_account_id, length('sys:clearing:') + 1)
       WHERE kind = 'channel_clearing' AND ledger_account_id LIKE 'sys:clearing:%'""",
)

TRANSFER_BACKFILL = (
    # Owner and channel: the tenant side (debit first) and the clearing side of each transfer.
    """UPDATE transfers t SET owner_account_id = COALESCE(d.owner_account_id, c.owner_account_id),
                              channel = COALESCE(d.channel, c.channel)
       FROM ledger_accounts d, ledger_accounts c
       WHERE d.ledger_account_id = t.debit_account_id AND c.ledger_account_id = t.credit_account_id""",
    """UPDATE transfers SET charge_id = substr(transfer_id, length('charge:') + 1)
       WHERE kind = 'usage_charge' AND transfer_id LIKE 'charge:%'""",
    """UPDATE transfers SET reverses_transfer_id = substr(transfer_id, length('reversal:') + 1)
       WHERE kind = 'reversal' AND transfer_id LIKE 'reversal:%'""",
    """UPDATE transfers t SET order_id = o.order_id FROM payment_orders o
       WHERE t.transfer_id IN ('pay:' || o.channel || ':' || o.order_id,
                               'pay:' || o.channel || ':' || o.order_id || ':' || 'fee')""",
    # A service-fee leg belongs to the account its payment credited.
    """UPDATE transfers f SET owner_account_id = p.owner_account_id FROM transfers p
       WHERE f.kind = 'service_fee' AND f.transfer_id = p.transfer_id || ':' || 'fee'""",
)


def ledger_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("owner_account_id", sa.String(64), nullable=True),
        sa.Column("purse", sa.String(20), nullable=True),
        sa.Column("channel", sa.String(20), nullable=True),
    )


def transfer_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("owner_account_id", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("charge_id", sa.String(200), nullable=True),
        sa.Column("reverses_transfer_id", sa.String(200), nullable=True),
    )


def upgrade() -> None:
    for column in ledger_columns():
        op.add_column("ledger_accounts", column)
    for column in transfer_columns():
        op.add_column("transfers", column)
    for statement in LEDGER_BACKFILL:
        op.execute(statement)
    # The ledger is append-only; the backfill is the one sanctioned update, inside this transaction.
    op.execute("ALTER TABLE transfers DISABLE TRIGGER transfers_append_only")
    for statement in TRANSFER_BACKFILL:
        op.execute(statement)
    op.execute("ALTER TABLE transfers ENABLE TRIGGER transfers_append_only")
    op.create_unique_constraint("uq_ledger_accounts_owner_account_id_purse", "ledger_accounts",
                                ["owner_account_id", "purse"])
    op.create_unique_constraint("uq_transfers_reverses_transfer_id", "transfers", ["reverses_transfer_id"])
    op.create_index("ix_transfers_order_id", "transfers", ["order_id"])
    op.create_index("ix_transfers_owner_account_id", "transfers", ["owner_account_id"])


def downgrade() -> None:
    op.drop_index("ix_transfers_owner_account_id", "transfers")
    op.drop_index("ix_transfers_order_id", "transfers")
    op.drop_constraint("uq_transfers_reverses_transfer_id", "transfers", type_="unique")
    op.drop_constraint("uq_ledger_accounts_owner_account_id_purse", "ledger_accounts", type_="unique")
    for column in transfer_columns():
        op.drop_column("transfers", column.name)
    for column in ledger_columns():
        op.drop_column("ledger_accounts", column.name)
