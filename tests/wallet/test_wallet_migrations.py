"""wal0003 (typed ledger links) with data: rows written in the old shape, upgrade, the typed columns
checked and used, downgrade, upgrade again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.kit import db
from services.kit.settings import as_asyncpg
from services.wallet import main
from services.wallet.domain.commands import CreatePaymentOrder, PostCharge, Recharge, Reverse, SetFeeRatio
from services.wallet.domain.payments import PaymentNotice
from services.wallet.entrypoints.events import to_outgoing
from services.wallet.service import accounts, charges, payments, reconciliation
from services.wallet.unit_of_work import WalletUnitOfWork

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

# The old shape: meaning only in the ids.
OLD_ROWS = """
INSERT INTO ledger_accounts (ledger_account_id, kind) VALUES
  ('acct:A1', 'tenant_wallet'), ('acct:A1:water', 'tenant_water_wallet'), ('acct:A2', 'tenant_wallet');
INSERT INTO accounts (account_id, tenant_name, ledger_account_id, water_ledger_account_id, project_id) VALUES
  ('A1', 'shop', 'acct:A1', 'acct:A1:water', 'P1'), ('A2', 'office', 'acct:A2', NULL, 'P1');
INSERT INTO account_meters (meter_id, account_id) VALUES ('M1', 'A1'), ('W1', 'A1'), ('M2', 'A2');
INSERT INTO payment_orders (order_id, account_id, channel, amount_fen, status, transfer_id) VALUES
  ('WX1', 'A1', 'wechat', 1000, 'paid', 'pay:wechat:WX1'), ('ALI2', 'A1', 'alipay', 500, 'created', NULL);
INSERT INTO transfers (transfer_id, debit_account_id, credit_account_id, amount_fen, kind, reference) VALUES
  ('opening:A1', 'sys:clearing:cash', 'acct:A1', 5000, 'opening', ''),
  ('charge:M1@2026-11-30T10:00', 'acct:A1', 'sys:revenue:electricity', 700, 'usage_charge', 'M1'),
  ('charge:W1@2026-11-30T10:00', 'acct:A1:water', 'sys:revenue:water', 30, 'usage_charge', 'W1'),
  ('pay:wechat:WX1', 'sys:clearing:wechat', 'acct:A1', 994, 'recharge', 'wechat:T1'),
  ('pay:wechat:WX1:fee', 'sys:clearing:wechat', 'sys:income:service-fee', 6, 'service_fee', 'pay:wechat:WX1'),
  ('reversal:charge:M1@2026-11-30T10:00', 'sys:revenue:electricity', 'acct:A1', 700, 'reversal', 'reverses'),
  ('move:M9:M2', 'acct:A1', 'acct:A2', 100, 'move', ''),
  ('r-1', 'acct:A2', 'sys:clearing:bank', 40, 'refund', '');
UPDATE ledger_accounts la SET
  debits_posted_fen = (SELECT COALESCE(sum(amount_fen), 0) FROM transfers
                       WHERE debit_account_id = la.ledger_account_id),
  credits_posted_fen = (SELECT COALESCE(sum(amount_fen), 0) FROM transfers
                        WHERE credit_account_id = la.ledger_account_id);
INSERT INTO fee_agreements (project_id, fee_ratio) VALUES ('P1', 0.006);
"""

LEDGER_LINKS = {  # ledger account -> (owner account, purse, channel)
    "acct:A1": ("A1", "electricity", None), "acct:A1:water": ("A1", "water", None),
    "acct:A2": ("A2", "electricity", None),
    "sys:revenue:electricity": (None, "electricity", None), "sys:revenue:water": (None, "water", None),
    "sys:income:service-fee": (None, None, None), "sys:clearing:cash": (None, None, "cash"),
    "sys:clearing:wechat": (None, None, "wechat"), "sys:clearing:alipay": (None, None, "alipay"),
    "sys:clearing:bank": (None, None, "bank"), "sys:clearing:ic_card": (None, None, "ic_card"),
    "sys:clearing:unionpay": (None, None, "unionpay"),
}
TRANSFER_LINKS = {  # transfer -> (owner account, channel, order, charge, reverses)
    "opening:A1": ("A1", "cash", None, None, None),
    "charge:M1@2026-11-30T10:00": ("A1", None, None, "M1@2026-11-30T10:00", None),
    "charge:W1@2026-11-30T10:00": ("A1", None, None, "W1@2026-11-30T10:00", None),
    "pay:wechat:WX1": ("A1", "wechat", "WX1", None, None),
    "pay:wechat:WX1:fee": ("A1", "wechat", "WX1", None, None),
    "reversal:charge:M1@2026-11-30T10:00": ("A1", None, None, None, "charge:M1@2026-11-30T10:00"),
    "move:M9:M2": ("A1", None, None, None, None),
    "r-1": ("A2", "bank", None, None, None),
}


@pytest.fixture
async def database(infra):
    """A wallet database at wal0002 (the shape before typed links) and a way to move it."""
    url = make_url(as_asyncpg(infra.database_url)).set(database=f"test_wallet_{uuid.uuid4().hex[:10]}")
    rendered = url.render_as_string(hide_password=False)
    await db.ensure_database(rendered)
    config = db.alembic_config(rendered, main.MIGRATIONS, "alembic_version_wallet")

    async def migrate(step, revision: str) -> None:
        await asyncio.to_thread(step, config, revision)

    await migrate(command.upgrade, "wal0002")
    engine = db.make_engine(rendered, pool_size=2)
    yield engine, migrate
    await engine.dispose()


async def rows(engine, sql: str) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(text(sql))).all()


async def ledger_links(engine) -> dict:
    return {r[0]: tuple(r[1:]) for r in await rows(
        engine, "SELECT ledger_account_id, owner_account_id, purse, channel FROM ledger_accounts")}


async def transfer_links(engine) -> dict:
    return {r[0]: tuple(r[1:]) for r in await rows(engine, "SELECT transfer_id, owner_account_id, channel, "
                                                           "order_id, charge_id, reverses_transfer_id FROM transfers")}


async def columns(engine, table: str) -> set[str]:
    return {r[0] for r in await rows(engine, f"SELECT column_name FROM information_schema.columns "
                                             f"WHERE table_name = '{table}'")}


async def use_the_migrated_ledger(engine) -> None:
    """New code on migrated rows: ids keep their meaning as idempotency keys, and the links are used."""
    new_uow = lambda: WalletUnitOfWork(async_sessionmaker(engine, expire_on_commit=False),  # noqa: E731
                                       lambda: None, to_outgoing)
    retried = PostCharge("M1@2026-11-30T10:00", "M1", 700, "2026-11")
    assert not await charges.post_usage_charge(new_uow(), retried, NOW)  # the same charge, already posted
    assert (await payments.reverse(new_uow(), Reverse("charge:M1@2026-11-30T10:00"), NOW)).duplicate
    await payments.reverse(new_uow(), Reverse("move:M9:M2", "wrong meter"), NOW)
    await accounts.set_fee_ratio(new_uow(), SetFeeRatio("P1", Decimal("0.006")))
    await payments.recharge(new_uow(), Recharge("pay-2", "A2", 2000, "alipay"), NOW)
    await payments.create_payment_order(new_uow(), CreatePaymentOrder("WX3", "A2", "wechat", 3000))
    await payments.settle_payment_notice(new_uow(), PaymentNotice("wechat", "WX3", "T3", 3000, True), NOW)
    result = await reconciliation.reconcile(new_uow())
    assert result.ok, result.problems


async def test_typed_links_are_backfilled_used_and_survive_a_round_trip(database):
    engine, migrate = database
    async with engine.begin() as conn:
        for statement in filter(str.strip, OLD_ROWS.split(";")):
            await conn.execute(text(statement))

    await migrate(command.upgrade, "head")
    assert await ledger_links(engine) == LEDGER_LINKS
    assert await transfer_links(engine) == TRANSFER_LINKS
    await use_the_migrated_ledger(engine)
    links = await transfer_links(engine)
    assert links["reversal:move:M9:M2"] == ("A2", None, None, None, "move:M9:M2")
    assert links["pay-2:fee"] == ("A2", "alipay", None, None, None)
    assert links["pay:wechat:WX3"] == links["pay:wechat:WX3:fee"] == ("A2", "wechat", "WX3", None, None)
    before = (await ledger_links(engine), links)

    await migrate(command.downgrade, "wal0002")
    assert not {"owner_account_id", "purse", "channel"} & await columns(engine, "ledger_accounts")
    assert not {"owner_account_id", "order_id", "charge_id", "reverses_transfer_id"} & await columns(
        engine, "transfers")
    assert {r[0] for r in await rows(engine, "SELECT transfer_id FROM transfers")} == set(before[1])

    await migrate(command.upgrade, "head")
    assert (await ledger_links(engine), await transfer_links(engine)) == before  # new rows backfill alike


async def test_the_ledger_stays_append_only_after_the_backfill(database):
    engine, migrate = database
    await migrate(command.upgrade, "head")
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO transfers (transfer_id, debit_account_id, credit_account_id, "
                                "amount_fen, kind) VALUES ('t', 'sys:clearing:cash', 'sys:revenue:water', 1, 'x')"))
        with pytest.raises(DBAPIError, match="append-only"):
            await conn.execute(text("UPDATE transfers SET amount_fen = 2"))
