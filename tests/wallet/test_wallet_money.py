"""Money scenarios beyond the basics: fees, refunds, reversals, alarms, batches, lifecycle, bills.

Every scenario ends by proving the ledger (balances = sums of entries, debits = credits).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.contracts.meterpay.v1 import charges_pb2, wallet_pb2
from services.kit.outbox import OUTBOX
from services.wallet.domain.accounts import AccountMode, AlarmPolicy, Settlement, default_alarm_policy
from services.wallet.domain.commands import (
    CloseAccount,
    ConfirmBill,
    OpenAccount,
    Recharge,
    Refund,
    ReplaceMeter,
    Reverse,
    SetAlarmPolicy,
    SetFeeRatio,
    SettlePeriod,
    TransferOwnership,
)
from services.wallet.domain.errors import InvalidTransfer, TransferConflict, UnknownAccount
from services.wallet.domain.ledger import (
    FEE_INCOME,
    REVENUE_WATER,
    Channel,
    LedgerAccountId,
    Purse,
    clearing_account,
)
from services.wallet.entrypoints.consumers import charge_command
from services.wallet.service import accounts, bills, charges, payments

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
KIND = wallet_pb2.WalletEventKind


async def events(new_uow) -> list[wallet_pb2.WalletEvent]:
    async with new_uow() as uow:
        rows = (await uow.session.execute(OUTBOX.select().order_by(OUTBOX.c.id))).all()
    published = [wallet_pb2.WalletEvent.FromString(r.payload) for r in rows if r.topic == "wallet.events.v1"]
    return [e for e in published if e.kind != wallet_pb2.WALLET_EVENT_KIND_BALANCE]  # transitions only


def wallet(account_id: str, purse: Purse = Purse.ELECTRICITY) -> LedgerAccountId:
    return LedgerAccountId.tenant_wallet(account_id, purse)


async def balance(new_uow, ledger: LedgerAccountId) -> int:
    async with new_uow() as uow:
        return await uow.ledger.balance(ledger)


def charge(charge_id: str, meter_id: str, amount_fen: int, commodity: str = "", period: str = "2026-11"):
    return charge_command(charges_pb2.UsageCharge(charge_id=charge_id, meter_id=meter_id, amount_fen=amount_fen,
                                                  period=period, commodity=commodity))


async def open_(new_uow, account_id="A1", meters=("M1",), opening=0, **kw) -> None:
    await accounts.open_account(new_uow(), OpenAccount(account_id, "shop", list(meters), opening, 0, **kw), NOW)


class TestServiceFee:
    async def test_the_fee_is_kept_back_and_posted_to_its_own_account(self, new_uow):
        await accounts.set_fee_ratio(new_uow(), SetFeeRatio("P1", Decimal("0.006")))
        await open_(new_uow, project_id="P1")
        done = await payments.recharge(new_uow(), Recharge("pay-1", "A1", 10_001, "wechat"), NOW)
        assert (done.balance_fen, done.duplicate) == (9941, False)
        assert await balance(new_uow, FEE_INCOME) == 60  # 10001 x 0.006 = 60.006 -> 60
        assert await balance(new_uow, clearing_account(Channel.WECHAT)) == -10_001

    async def test_a_ratio_outside_0_to_1_is_refused(self, new_uow):
        with pytest.raises(InvalidTransfer):
            await accounts.set_fee_ratio(new_uow(), SetFeeRatio("P1", Decimal("1.2")))


class TestRefundsAndReversals:
    async def test_a_refund_pays_out_and_never_exceeds_the_balance(self, new_uow):
        await open_(new_uow, opening=5000)
        first = await payments.refund(new_uow(), Refund("r-1", "A1", 2000, "cash", ""), NOW)
        again = await payments.refund(new_uow(), Refund("r-1", "A1", 2000, "cash", ""), NOW)
        assert (first.balance_fen, first.duplicate) == (3000, False)
        assert (again.balance_fen, again.duplicate) == (3000, True)
        with pytest.raises(InvalidTransfer, match="exceed"):
            await payments.refund(new_uow(), Refund("r-2", "A1", 3001, "cash", ""), NOW)

    async def test_a_reversal_undoes_a_wrong_charge_once_and_restores_supply(self, new_uow):
        await open_(new_uow, opening=1000)
        await charges.post_usage_charge(new_uow(), charge("c1", "M1", 1500), NOW)
        assert not (await payments.reverse(new_uow(), Reverse("charge:c1", "wrong reading"), NOW)).duplicate
        assert (await payments.reverse(new_uow(), Reverse("charge:c1", "wrong reading"), NOW)).duplicate
        assert await balance(new_uow, wallet("A1")) == 1000
        assert [e.kind for e in await events(new_uow)] == [KIND.WALLET_EVENT_KIND_ARREARS,
                                                           KIND.WALLET_EVENT_KIND_RECOVERED]

    async def test_an_unknown_transfer_cannot_be_reversed(self, new_uow):
        with pytest.raises(UnknownAccount):
            await payments.reverse(new_uow(), Reverse("nope", ""), NOW)


class TestAlarmLevels:
    async def test_levels_go_down_and_up_with_the_balance_and_carry_repeat_counts(self, new_uow):
        await open_(new_uow, opening=6000, alarms=default_alarm_policy())  # 50 / 20 / 10 yuan
        await charges.post_usage_charge(new_uow(), charge("c1", "M1", 1500), NOW)  # 4500: level 1
        await charges.post_usage_charge(new_uow(), charge("c2", "M1", 3000), NOW)  # 1500: level 2
        await charges.post_usage_charge(new_uow(), charge("c3", "M1", 1000), NOW)  # 500: level 3
        await payments.recharge(new_uow(), Recharge("pay-1", "A1", 10_000, "cash"), NOW)  # 10500: level 0
        alarms = [(e.alarm_level, e.alarm_repeat_count) for e in await events(new_uow)
                  if e.kind == KIND.WALLET_EVENT_KIND_ALARM_LEVEL]
        assert alarms == [(1, 1), (2, 2), (3, 3), (0, 1)]

    @pytest.mark.parametrize(("thresholds", "repeats"), [((1000, 2000), ()), ((3000, 2000), (1,)),
                                                          ((3000, 2000), (0, 1))])
    async def test_a_bad_policy_is_refused(self, new_uow, thresholds, repeats):
        await open_(new_uow)
        with pytest.raises(InvalidTransfer):
            await accounts.set_alarm_policy(new_uow(), SetAlarmPolicy("A1", AlarmPolicy(thresholds, repeats)), NOW)


class TestBatches:
    async def test_a_batch_of_charges_posts_once_per_charge_and_events_once_per_account(self, new_uow):
        await open_(new_uow, "A1", ["M1", "M2"], 1000)
        await open_(new_uow, "A2", ["M3"], 1000)
        batch = [charge("c1", "M1", 400), charge("c2", "M2", 600), charge("c3", "M3", 100),
                 charge("c1", "M1", 400), charge("c4", "NOPE", 50), charge("c5", "M3", 0)]
        assert await charges.post_usage_charges(new_uow(), batch, NOW) == 3
        assert await charges.post_usage_charges(new_uow(), batch, NOW) == 0
        assert (await balance(new_uow, wallet("A1")), await balance(new_uow, wallet("A2"))) == (0, 900)
        [arrears] = await events(new_uow)
        assert (arrears.kind, arrears.account_id, list(arrears.meter_ids)) == (
            KIND.WALLET_EVENT_KIND_ARREARS, "A1", ["M1", "M2"])
        assert arrears.event_id == "charge:c2:WALLET_EVENT_KIND_ARREARS"

    async def test_batch_top_up_is_all_or_nothing(self, new_uow):
        await open_(new_uow, "A1")
        await open_(new_uow, "A2", ["M2"])
        good = [Recharge("b-1", "A1", 100, "bank"), Recharge("b-2", "A2", 200, "bank")]
        with pytest.raises(UnknownAccount):
            await payments.post_batch(new_uow(), [*good, Recharge("b-3", "NOPE", 300, "bank")], NOW)
        assert await balance(new_uow, wallet("A1")) == 0
        assert await payments.post_batch(new_uow(), good, NOW) == 2
        assert await payments.post_batch(new_uow(), good, NOW) == 0

    async def test_batch_refund_fails_whole_when_one_exceeds_its_balance(self, new_uow):
        await open_(new_uow, "A1", opening=500)
        await open_(new_uow, "A2", ["M2"], opening=500)
        with pytest.raises(InvalidTransfer):
            await payments.post_batch(new_uow(), [Refund("r-1", "A1", 100, "cash"),
                                                  Refund("r-2", "A2", 900, "cash")], NOW)
        assert await balance(new_uow, wallet("A1")) == 500


class TestLifecycle:
    async def test_closing_pays_back_the_rest_and_frees_the_meters(self, new_uow):
        await open_(new_uow, opening=3000)
        assert await accounts.close_account(new_uow(), CloseAccount("A1", "cash")) == 3000
        assert await balance(new_uow, wallet("A1")) == 0
        await open_(new_uow, "A2", ["M1"])  # the meter can be opened again
        with pytest.raises(InvalidTransfer, match="closed"):
            await payments.recharge(new_uow(), Recharge("p", "A1", 100, "cash"), NOW)

    async def test_an_account_in_debt_cannot_close(self, new_uow):
        await open_(new_uow, opening=100)
        await charges.post_usage_charge(new_uow(), charge("c1", "M1", 300), NOW)
        with pytest.raises(InvalidTransfer, match="owes"):
            await accounts.close_account(new_uow(), CloseAccount("A1", "cash"))

    async def test_ownership_passes_with_the_old_owner_paid_out(self, new_uow):
        await open_(new_uow, opening=2500)
        change = TransferOwnership("x-1", "A1", "新租户 new tenant", True)
        assert await accounts.transfer_ownership(new_uow(), change, NOW) == 2500
        async with new_uow() as uow:
            assert (await uow.accounts.summary("A1")).account.tenant_name == "新租户 new tenant"
        assert await balance(new_uow, wallet("A1")) == 0

    async def test_a_replaced_meter_takes_over_the_money(self, new_uow):
        await open_(new_uow, "A1", ["OLD"], 4000)
        assert await accounts.replace_meter(new_uow(), ReplaceMeter("OLD", "NEW"), NOW) == "A1"
        await charges.post_usage_charge(new_uow(), charge("c1", "NEW", 1000), NOW)
        assert await balance(new_uow, wallet("A1")) == 3000

    async def test_a_replacement_meter_with_its_own_wallet_receives_the_remaining_money(self, new_uow):
        await open_(new_uow, "A1", ["OLD"], 4000)
        await open_(new_uow, "A2", ["NEW"], 100)
        assert await accounts.replace_meter(new_uow(), ReplaceMeter("OLD", "NEW"), NOW) == "A2"
        assert (await balance(new_uow, wallet("A1")), await balance(new_uow, wallet("A2"))) == (0, 4100)

    async def test_water_money_is_kept_apart_where_asked(self, new_uow):
        await open_(new_uow, "A1", ["E1", "W1"], 5000, separate_water=True)
        await payments.recharge(new_uow(), Recharge("w-pay", "A1", 800, "cash", purse="water"), NOW)
        await charges.post_usage_charges(new_uow(), [charge("e", "E1", 1000), charge("w", "W1", 300, "water")], NOW)
        assert (await balance(new_uow, wallet("A1")), await balance(new_uow, wallet("A1", Purse.WATER))) == (4000, 500)
        assert await balance(new_uow, REVENUE_WATER) == 300


class TestSettlement:
    async def test_month_end_accrues_then_posts_the_month_at_once(self, new_uow):
        await open_(new_uow, opening=5000, settlement=Settlement.MONTH_END)
        await charges.post_usage_charges(new_uow(), [charge("c1", "M1", 700), charge("c2", "M1", 800)], NOW)
        assert await balance(new_uow, wallet("A1")) == 5000
        for _ in range(2):
            bill = await bills.settle_period(new_uow(), SettlePeriod("A1", "2026-11"), NOW)
            assert (bill.bill_id, bill.status) == ("A1:2026-11", "issued")
        assert await balance(new_uow, wallet("A1")) == 3500

    async def test_a_postpaid_bill_waits_for_staff_and_never_cuts_supply(self, new_uow):
        await open_(new_uow, mode=AccountMode.POSTPAID)
        await charges.post_usage_charges(new_uow(), [charge("c1", "M1", 1200)], NOW)
        bill = await bills.settle_period(new_uow(), SettlePeriod("A1", "2026-11"), NOW)
        assert bill.status == "draft" and await balance(new_uow, wallet("A1")) == 0
        assert await bills.confirm_bill(new_uow(), ConfirmBill(bill.bill_id, "staff-1"), NOW)
        assert not await bills.confirm_bill(new_uow(), ConfirmBill(bill.bill_id, "staff-1"), NOW)
        assert await balance(new_uow, wallet("A1")) == -1200
        assert await events(new_uow) == []  # no arrears cut for a post-paid account


class TestAtomicity:
    async def test_a_failing_batch_leaves_nothing_behind(self, new_uow):
        """Bulk statements run inside the unit of work's transaction: a conflict rolls all of them back."""
        await open_(new_uow, "A1", ["M1"], 1000)
        await charges.post_usage_charges(new_uow(), [charge("c1", "M1", 100)], NOW)
        with pytest.raises(TransferConflict):
            await charges.post_usage_charges(new_uow(), [charge("c2", "M1", 200), charge("c1", "M1", 999)], NOW)
        assert await balance(new_uow, wallet("A1")) == 900
        async with new_uow() as uow:
            assert await uow.ledger.get("charge:c2") is None
