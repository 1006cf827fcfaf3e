"""The account aggregate and its lock, typed ids, and keyset paging: rules on plain objects first,
then the repositories refusing what was not locked (real database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.kit.paging import InvalidPage
from services.wallet.domain.accounts import (
    Account,
    AccountMode,
    AlarmPolicy,
    LockedAccount,
    Settlement,
    Wallet,
    default_alarm_policy,
)
from services.wallet.domain.bills import Accrual, Bill, BillStatus
from services.wallet.domain.commands import OpenAccount, PostCharge, Recharge
from services.wallet.domain.errors import AccountInDebt, NotLocked
from services.wallet.domain.events import AlarmLevelReached, FellIntoArrears, RecoveredFromArrears
from services.wallet.domain.ledger import (
    CASH_CLEARING,
    REVENUE_ELECTRICITY,
    Channel,
    LedgerAccountId,
    Purse,
    Transfer,
    TransferId,
    TransferKind,
    clearing_account,
)
from services.wallet.domain.payments import Order
from services.wallet.service import accounts, payments, reconciliation

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def locked(balance_fen: int, **state) -> LockedAccount:
    account = Account(account_id="A1", tenant_name="shop", cutoff_fen=0, **state)
    return LockedAccount(account, [Wallet(LedgerAccountId.tenant_wallet("A1", Purse.ELECTRICITY), balance_fen)])


class TestAccountAggregate:
    def test_crossing_the_cut_off_and_an_alarm_level_are_one_event_each_and_stick(self):
        account = locked(6000, alarm_policy=default_alarm_policy())
        events = account.review_supply(-10, ["M1"], "charge:c1", NOW)
        assert [type(e) for e in events] == [AlarmLevelReached, FellIntoArrears]
        assert (events[0].alarm_level, events[0].repeat_count) == (3, 3)
        assert (account.state.in_arrears, account.state.alarm_level) == (True, 3)
        assert account.review_supply(-20, ["M1"], "charge:c2", NOW) == []
        assert [type(e) for e in account.review_supply(9000, ["M1"], "pay", NOW)] == [AlarmLevelReached,
                                                                                        RecoveredFromArrears]

    def test_a_postpaid_account_is_never_cut(self):
        assert locked(0, mode=AccountMode.POSTPAID).review_supply(-5000, ["M1"], "c", NOW) == []

    def test_month_end_accounts_accrue_and_realtime_ones_pay_at_once(self):
        charge = PostCharge("M1@t", "M1", 120, "2026-11")
        assert isinstance(locked(0, settlement=Settlement.MONTH_END).charge(charge), Accrual)
        transfer = locked(0).charge(charge)
        assert (transfer.id, transfer.charge_id, transfer.owner_account_id, transfer.credit) == (
            TransferId("charge:M1@t"), "M1@t", "A1", REVENUE_ELECTRICITY)

    def test_an_account_that_owes_cannot_close(self):
        with pytest.raises(AccountInDebt):
            locked(-1).close_out("cash")

    def test_balances_move_with_what_was_posted(self):
        account = locked(100)
        account.apply_posted(account.opening_deposit(50))
        assert account.balance_fen() == 150


class TestTypedIds:
    def test_a_transfer_says_what_it_is_without_reading_its_id(self):
        recharge = Transfer(TransferId.payment(Channel.WECHAT, "WX1"), clearing_account(Channel.WECHAT),
                            LedgerAccountId.tenant_wallet("A1", Purse.WATER), 10, TransferKind.RECHARGE,
                            order_id="WX1")
        assert (recharge.owner_account_id, recharge.channel, recharge.order_id) == ("A1", Channel.WECHAT, "WX1")
        reversal = recharge.reversed("wrong")
        assert (reversal.id.key, reversal.reverses, reversal.debit, reversal.owner_account_id) == (
            "reversal:pay:wechat:WX1", recharge.id, recharge.credit, "A1")

    def test_ids_stay_the_idempotency_keys_they_always_were(self):
        assert [TransferId.charge("M1@t").key, TransferId.payment(Channel.ALIPAY, "O1").key,
                TransferId.bill("A1:2026-11", Purse.WATER).key, TransferId("pay-1").fee_leg().key] == [
            "charge:M1@t", "pay:alipay:O1", "bill:A1:2026-11:water", "pay-1:fee"]
        assert LedgerAccountId.tenant_wallet("A1", Purse.WATER).key == "acct:A1:water"
        assert CASH_CLEARING == clearing_account(Channel.CASH)

    def test_a_limit_of_zero_is_the_default_and_a_large_one_is_capped(self):
        size = accounts.ACCOUNT_PAGE
        assert (size.of(0), size.of(7), size.of(10**6)) == (500, 7, 5000)
        with pytest.raises(InvalidPage):
            size.of(-1)


class TestLocks:
    async def test_money_of_an_account_not_locked_cannot_move(self, new_uow):
        for account_id in ("A1", "A2"):
            await accounts.open_account(new_uow(), OpenAccount(account_id, "shop", [f"M{account_id}"], 100, 0), NOW)
        async with new_uow() as uow:
            a1 = await uow.accounts.get_for_update("A1")
            move = Transfer(TransferId("x"), a1.wallet(Purse.ELECTRICITY),
                            LedgerAccountId.tenant_wallet("A2", Purse.ELECTRICITY), 10, TransferKind.MOVE)
            with pytest.raises(NotLocked):
                await uow.ledger.post([move], against=[a1])
            with pytest.raises(NotLocked):
                await uow.ledger.post([a1.opening_deposit(5)], against=[a1.state])
            with pytest.raises(NotLocked):
                await uow.accounts.save(a1.state)

    async def test_an_order_or_a_bill_read_without_its_lock_cannot_change(self, new_uow):
        order = Order("O1", "A1", Channel.WECHAT, Purse.ELECTRICITY, 100)
        bill = Bill("A1:2026-11", "A1", "2026-11", 1, 0, BillStatus.DRAFT)
        async with new_uow() as uow:
            with pytest.raises(NotLocked):
                await uow.payments.mark_paid(order, "T1", "pay:wechat:O1", NOW)
            with pytest.raises(NotLocked):
                await uow.bills.issue(bill, "staff")

    async def test_several_accounts_are_locked_in_id_order(self, new_uow):
        for account_id in ("B", "C", "A"):
            await accounts.open_account(new_uow(), OpenAccount(account_id, "shop", [f"M{account_id}"], 100, 0), NOW)
        async with new_uow() as uow:
            assert list(await uow.accounts.get_many_for_update(["C", "A", "B", "A"])) == ["A", "B", "C"]
            by_meter = await uow.accounts.get_for_update_by_meters(["MC", "MA"])
            assert {m: a.account_id for m, a in by_meter.items()} == {"MA": "A", "MC": "C"}


class TestPagedQueries:
    async def test_reconciliation_in_small_pages_proves_the_same(self, new_uow):
        for account_id in ("A1", "A2", "A3"):
            await accounts.open_account(new_uow(), OpenAccount(account_id, "shop", [f"M{account_id}"], 100, 0,
                                                               alarms=AlarmPolicy()), NOW)
        whole = await reconciliation.reconcile(new_uow())
        paged = await reconciliation.reconcile(new_uow(), page_size=2)
        assert paged == whole and whole.ok and whole.accounts_checked > 2

    async def test_callbacks_come_in_two_pages(self, new_uow):
        for order_id in ("O1", "O2", "O3"):
            await payments.record_rejected_callback(new_uow(), "wechat", order_id, "forged")
        async with new_uow() as uow:
            first = await uow.payments.callbacks(limit=2)
            second = await uow.payments.callbacks(limit=2, cursor=first.next_cursor)
        assert [c.order_id for c in first.items + second.items] == ["O1", "O2", "O3"]
        assert second.next_cursor == ""

    async def test_a_cursor_wallet_did_not_hand_out_is_refused_not_a_bug(self, new_uow):
        async with new_uow() as uow:
            for cursor in ("garbage", "2", "WyJ4Il0="):  # not base64 JSON; an old raw id; a string for a number
                with pytest.raises(InvalidPage):
                    await uow.payments.callbacks(limit=2, cursor=cursor)

    async def test_a_batch_recharge_folds_into_the_same_rules_as_a_single_one(self, new_uow):
        await accounts.open_account(new_uow(), OpenAccount("A1", "shop", ["M1"], 0, 0), NOW)
        assert await payments.post_batch(new_uow(), [Recharge("b-1", "A1", 100, "bank")], NOW) == 1
        done = await payments.recharge(new_uow(), Recharge("b-1", "A1", 100, "bank"), NOW)
        assert (done.balance_fen, done.duplicate) == (100, True)
