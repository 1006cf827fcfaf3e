"""Wallet use cases against a real PostgreSQL built by the wallet's migrations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.contracts.meterpay.v1 import charges_pb2, wallet_pb2
from services.kit.outbox import OUTBOX
from services.wallet import main
from services.wallet.domain.commands import OpenAccount, Recharge
from services.wallet.domain.errors import AccountConflict, InvalidTransfer, TransferConflict, UnknownAccount
from services.wallet.entrypoints.consumers import charge_command
from services.wallet.entrypoints.events import to_outgoing
from services.wallet.service import accounts, charges, payments, reconciliation
from services.wallet.unit_of_work import WalletUnitOfWork

MIGRATIONS = main.MIGRATIONS
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


@pytest.fixture
async def new_uow(service_database):
    sessions = await service_database("wallet", MIGRATIONS)
    return lambda: WalletUnitOfWork(sessions, lambda: None, to_outgoing)


async def assert_ledger_invariants(new_uow) -> None:
    result = await reconciliation.reconcile(new_uow())
    assert result.ok, result.problems
    assert result.total_debits_fen == result.total_credits_fen


async def emitted_events(new_uow) -> list[wallet_pb2.WalletEvent]:
    async with new_uow() as uow:
        rows = (await uow.session.execute(OUTBOX.select().order_by(OUTBOX.c.id))).all()
    published = [wallet_pb2.WalletEvent.FromString(r.payload) for r in rows if r.topic == "wallet.events.v1"]
    return [e for e in published if e.kind != wallet_pb2.WALLET_EVENT_KIND_BALANCE]  # transitions only


def charge(charge_id: str, meter_id: str, amount_fen: int):
    return charge_command(charges_pb2.UsageCharge(charge_id=charge_id, meter_id=meter_id, amount_fen=amount_fen,
                                                  period="2026-11"))


async def balance(new_uow, account_id: str) -> int:
    async with new_uow() as uow:
        return (await uow.accounts.summary(account_id)).balance_fen


class TestChargesAndArrears:
    async def test_charges_drive_the_account_into_arrears_once(self, new_uow):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1"], 1000, 0), NOW)
        assert await charges.post_usage_charge(new_uow(), charge("c1", "M1", 600), NOW)
        assert await charges.post_usage_charge(new_uow(), charge("c2", "M1", 400), NOW)
        assert await charges.post_usage_charge(new_uow(), charge("c3", "M1", 50), NOW)
        assert await balance(new_uow, "A1") == -50
        kinds = [e.kind for e in await emitted_events(new_uow)]
        assert kinds == [wallet_pb2.WALLET_EVENT_KIND_ARREARS]  # at 0 (cut-off), not again at -50
        await assert_ledger_invariants(new_uow)

    async def test_the_same_charge_twice_posts_once(self, new_uow):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1"], 1000, 0), NOW)
        assert await charges.post_usage_charge(new_uow(), charge("c1", "M1", 300), NOW)
        assert not await charges.post_usage_charge(new_uow(), charge("c1", "M1", 300), NOW)
        assert await balance(new_uow, "A1") == 700
        await assert_ledger_invariants(new_uow)

    async def test_a_charge_for_an_unknown_meter_moves_no_money(self, new_uow):
        assert not await charges.post_usage_charge(new_uow(), charge("c1", "NOPE", 300), NOW)
        await assert_ledger_invariants(new_uow)

    async def test_a_negative_charge_is_refused(self, new_uow):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1"], 1000, 0), NOW)
        assert not await charges.post_usage_charge(new_uow(), charge("c1", "M1", -300), NOW)
        assert await balance(new_uow, "A1") == 1000
        await assert_ledger_invariants(new_uow)


class TestRecharge:
    async def test_recharge_out_of_arrears_publishes_recovery_with_the_meters(self, new_uow):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1", "M2"], 100, 0), NOW)
        await charges.post_usage_charge(new_uow(), charge("c1", "M1", 150), NOW)
        done = await payments.recharge(new_uow(), Recharge("pay-1", "A1", 5000, "cash"), NOW)
        assert (done.balance_fen, done.duplicate) == (4950, False)
        events = await emitted_events(new_uow)
        assert [e.kind for e in events][-1] == wallet_pb2.WALLET_EVENT_KIND_RECOVERED
        assert list(events[-1].meter_ids) == ["M1", "M2"]
        await assert_ledger_invariants(new_uow)

    async def test_a_retried_recharge_is_recognised(self, new_uow):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1"], 0, 0), NOW)
        first = await payments.recharge(new_uow(), Recharge("pay-1", "A1", 5000, "cash"), NOW)
        again = await payments.recharge(new_uow(), Recharge("pay-1", "A1", 5000, "cash"), NOW)
        assert (first.balance_fen, first.duplicate) == (5000, False)
        assert (again.balance_fen, again.duplicate) == (5000, True)
        await assert_ledger_invariants(new_uow)

    async def test_a_retry_with_a_different_amount_is_an_error_and_writes_nothing(self, new_uow):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1"], 0, 0), NOW)
        await payments.recharge(new_uow(), Recharge("pay-1", "A1", 5000, "cash"), NOW)
        with pytest.raises(TransferConflict):
            await payments.recharge(new_uow(), Recharge("pay-1", "A1", 9000, "cash"), NOW)
        assert await balance(new_uow, "A1") == 5000
        await assert_ledger_invariants(new_uow)

    @pytest.mark.parametrize("amount_fen", [0, -100])
    async def test_a_non_positive_recharge_is_refused(self, new_uow, amount_fen):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1"], 0, 0), NOW)
        with pytest.raises(InvalidTransfer):
            await payments.recharge(new_uow(), Recharge("pay-1", "A1", amount_fen, "cash"), NOW)
        await assert_ledger_invariants(new_uow)

    async def test_an_unknown_account_is_refused(self, new_uow):
        with pytest.raises(UnknownAccount):
            await payments.recharge(new_uow(), Recharge("pay-1", "NOPE", 100, "cash"), NOW)


class TestOpenAccount:
    async def test_a_meter_cannot_belong_to_two_accounts_and_nothing_is_half_written(self, new_uow):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1"], 100, 0), NOW)
        with pytest.raises(AccountConflict):
            await accounts.open_account(new_uow(), OpenAccount("A2", "office", ["M1"], 500, 0), NOW)
        async with new_uow() as uow:
            assert await uow.accounts.summary("A2") is None
        await assert_ledger_invariants(new_uow)

    async def test_the_ledger_is_append_only(self, new_uow):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1"], 100, 0), NOW)
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        async with new_uow() as uow:
            with pytest.raises(DBAPIError, match="append-only"):
                await uow.session.execute(text("UPDATE transfers SET amount_fen = 1"))
