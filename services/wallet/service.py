"""Use cases of the wallet service: accounts, charges, recharges, payments, refunds, bills, reconciliation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from services.contracts.meterpay.v1 import charges_pb2, wallet_pb2
from services.kit import messaging
from services.kit.db import UnitOfWork
from services.kit.logging import get_logger
from services.kit.messaging import timestamp as _ts
from services.wallet.domain.accounts import (
    AccountMode,
    AccountStatus,
    AlarmPolicy,
    BillStatus,
    Settlement,
    service_fee_fen,
)
from services.wallet.domain.ledger import (
    CASH_CLEARING,
    FEE_INCOME,
    Channel,
    InvalidTransfer,
    LedgerKind,
    Purse,
    SupplyChange,
    Transfer,
    TransferKind,
    clearing_account,
    parse_channel,
    revenue_account,
    supply_change,
)
from services.wallet.domain.payments import (
    CallbackOutcome,
    CallbackRejected,
    Order,
    OrderStatus,
    PaymentNotice,
    check_notice_against_order,
)
from services.wallet.repository import AccountRow, WalletRepository

log = get_logger(__name__)

EVENT_KINDS = {SupplyChange.ARREARS: wallet_pb2.WALLET_EVENT_KIND_ARREARS,
               SupplyChange.RECOVERED: wallet_pb2.WALLET_EVENT_KIND_RECOVERED}


class WalletUnitOfWork(UnitOfWork):
    repo: WalletRepository

    def attach_repositories(self, session) -> None:
        self.repo = WalletRepository(session)


class UnknownAccount(LookupError):
    pass


class AccountConflict(ValueError):
    pass


@dataclass(frozen=True)
class OpenAccount:
    account_id: str
    tenant_name: str
    meter_ids: list[str]
    opening_balance_fen: int
    cutoff_fen: int
    project_id: str = ""
    mode: AccountMode = AccountMode.PREPAID
    settlement: Settlement = Settlement.REALTIME
    separate_water: bool = False
    alarms: AlarmPolicy = field(default_factory=AlarmPolicy)


@dataclass(frozen=True)
class Recharge:
    transfer_id: str
    account_id: str
    amount_fen: int
    channel: str
    operator: str = ""
    purse: str = "electricity"


def ledger_id_of(account_id: str) -> str:
    return f"acct:{account_id}"


def water_ledger_id_of(account_id: str) -> str:
    return f"acct:{account_id}:water"


def purse_ledger(account: AccountRow, purse: Purse) -> str:
    """Water money is kept apart only where the account has a water purse."""
    if purse is Purse.WATER and account.water_ledger_account_id:
        return account.water_ledger_account_id
    return account.ledger_account_id


def _purse(text: str) -> Purse:
    try:
        return Purse(text or "electricity")
    except ValueError as exc:
        raise InvalidTransfer(f"unknown purse {text!r}") from exc


# ---- opening, closing, ownership, meter replacement ----

async def open_account(uow: WalletUnitOfWork, cmd: OpenAccount, now: datetime) -> int:
    """开户: a tenant wallet with its meters and the money paid when opening; returns the balance."""
    if not cmd.account_id or not cmd.meter_ids:
        raise InvalidTransfer("an account needs an id and at least one meter")
    if cmd.opening_balance_fen < 0:
        raise InvalidTransfer("the opening balance must not be negative")
    async with uow:
        row = AccountRow(cmd.account_id, cmd.tenant_name, ledger_id_of(cmd.account_id), cmd.cutoff_fen, False,
                         cmd.project_id, str(cmd.mode), str(cmd.settlement),
                         water_ledger_id_of(cmd.account_id) if cmd.separate_water else None, str(AccountStatus.OPEN),
                         cmd.alarms.thresholds_fen, cmd.alarms.repeats, 0)
        if not await uow.repo.add_account_with_ledger(row, LedgerKind.TENANT_WALLET):
            raise AccountConflict(f"account {cmd.account_id!r} already exists")
        if row.water_ledger_account_id:
            await uow.repo.add_ledger_account(row.water_ledger_account_id, LedgerKind.TENANT_WATER_WALLET)
        taken = await uow.repo.assign_meters(cmd.account_id, sorted(set(cmd.meter_ids)))
        if taken:
            raise AccountConflict(f"meters already in another account: {', '.join(taken)}")
        if cmd.opening_balance_fen:
            await uow.repo.post_transfer(Transfer(f"opening:{cmd.account_id}", CASH_CLEARING, row.ledger_account_id,
                                                  cmd.opening_balance_fen, TransferKind.OPENING))
        balance = await uow.repo.balance(row.ledger_account_id)
        await _apply_supply_rules(uow, row, balance, f"opening:{cmd.account_id}", now)
        await uow.commit()
    return balance


async def open_accounts(uow_factory, commands: Sequence[OpenAccount], now: datetime) -> list[str]:
    """开户 from pre-filled records in one click: opens each; returns the ids that already existed."""
    existing = []
    for cmd in commands:
        try:
            await open_account(uow_factory(), cmd, now)
        except AccountConflict:
            existing.append(cmd.account_id)
    return existing


async def _open_account_for_update(uow: WalletUnitOfWork, account_id: str) -> AccountRow:
    account = await uow.repo.account(account_id, for_update=True)
    if account is None:
        raise UnknownAccount(f"unknown account {account_id!r}")
    if account.status != AccountStatus.OPEN:
        raise InvalidTransfer(f"account {account_id!r} is closed")
    return account


async def close_account(uow: WalletUnitOfWork, account_id: str, channel: str, now: datetime) -> int:
    """销户: pay back what is left (final settlement), free the meters, close; returns the amount paid back."""
    async with uow:
        account = await _open_account_for_update(uow, account_id)
        paid_back = 0
        for purse in (Purse.ELECTRICITY, Purse.WATER):
            ledger = purse_ledger(account, purse)
            if purse is Purse.WATER and ledger == account.ledger_account_id:
                continue
            balance = await uow.repo.balance(ledger)
            if balance < 0:
                raise InvalidTransfer(f"account {account_id!r} owes {-balance} fen; settle it before closing")
            if balance:
                await uow.repo.post_transfer(Transfer(f"closing:{account_id}:{purse}", ledger,
                                                      clearing_account(parse_channel(channel)), balance,
                                                      TransferKind.CLOSING))
                paid_back += balance
        await uow.repo.detach_meters(await uow.repo.meters_of(account_id))
        await uow.repo.update_account(account_id, status=str(AccountStatus.CLOSED))
        await uow.commit()
    return paid_back


async def transfer_ownership(uow: WalletUnitOfWork, change_id: str, account_id: str, new_tenant_name: str,
                             settle_to_old_owner: bool, now: datetime) -> int:
    """过户: the account passes to a new tenant; optionally the old owner is paid what is left."""
    if not change_id or not new_tenant_name:
        raise InvalidTransfer("an ownership change needs an id and the new tenant's name")
    async with uow:
        account = await _open_account_for_update(uow, account_id)
        settled = 0
        if settle_to_old_owner:
            settled = max(await uow.repo.balance(account.ledger_account_id), 0)
            if settled:
                await uow.repo.post_transfer(Transfer(f"ownership:{change_id}", account.ledger_account_id,
                                                      CASH_CLEARING, settled, TransferKind.REFUND,
                                                      reference=f"paid to {account.tenant_name}"[:200]))
        if not await uow.repo.add_ownership_change(change_id, account_id, account.tenant_name, new_tenant_name,
                                                   settled):
            return settled  # the same change again: already done
        await uow.repo.update_account(account_id, tenant_name=new_tenant_name)
        balance = await uow.repo.balance(account.ledger_account_id)
        await _apply_supply_rules(uow, account, balance, f"ownership:{change_id}", now)
        await uow.commit()
    return settled


async def replace_meter(uow: WalletUnitOfWork, old_meter_id: str, new_meter_id: str, now: datetime) -> str:
    """换表: the new meter takes the old one's place; if it already has its own wallet, the money moves there.

    Returns the account that now holds the money.
    """
    async with uow:
        found = await uow.repo.accounts_of_meters([old_meter_id, new_meter_id], for_update=True)
        old = found.get(old_meter_id)
        if old is None:
            raise UnknownAccount(f"meter {old_meter_id!r} is in no account")
        new = found.get(new_meter_id)
        await uow.repo.detach_meters([old_meter_id])
        if new is None:
            await uow.repo.assign_meters(old.account_id, [new_meter_id])
            await uow.commit()
            return old.account_id
        balance = await uow.repo.balance(old.ledger_account_id)
        if balance > 0:
            await uow.repo.post_transfer(Transfer(f"move:{old_meter_id}:{new_meter_id}", old.ledger_account_id,
                                                  new.ledger_account_id, balance, TransferKind.MOVE))
        for account in (old, new):
            await _apply_supply_rules(uow, account, await uow.repo.balance(account.ledger_account_id),
                                      f"move:{old_meter_id}:{new_meter_id}", now)
        await uow.commit()
    return new.account_id


async def set_alarm_policy(uow: WalletUnitOfWork, account_id: str, policy: AlarmPolicy, now: datetime) -> int:
    """Set the balance alarm thresholds; returns the level the balance is at now."""
    async with uow:
        account = await _open_account_for_update(uow, account_id)
        await uow.repo.update_account(account_id, alarm_thresholds_fen=policy.thresholds_fen,
                                      alarm_repeats=policy.repeats)
        account = replace(account, alarm_thresholds_fen=policy.thresholds_fen, alarm_repeats=policy.repeats)
        balance = await uow.repo.balance(account.ledger_account_id)
        await _apply_supply_rules(uow, account, balance, f"alarms:{account_id}:{now.isoformat()}", now)
        await uow.commit()
    return policy.level(balance)


async def set_settlement(uow: WalletUnitOfWork, account_id: str, settlement: Settlement) -> None:
    """Switch between real-time deduction and month-end settlement (F-24)."""
    async with uow:
        await _open_account_for_update(uow, account_id)
        await uow.repo.update_account(account_id, settlement=str(settlement))
        await uow.commit()


async def set_fee_ratio(uow: WalletUnitOfWork, project_id: str, ratio: Decimal) -> None:
    service_fee_fen(100, ratio)  # validates the range
    async with uow:
        await uow.repo.set_fee_ratio(project_id, ratio)
        await uow.commit()


# ---- usage charges ----

async def post_usage_charge(uow: WalletUnitOfWork, charge: charges_pb2.UsageCharge, now: datetime) -> bool:
    """扣费: debit the meter's wallet by the charge; the same charge twice posts once."""
    return bool(await post_usage_charges(uow, [charge], now))


async def post_usage_charges(uow: WalletUnitOfWork, charges: Sequence[charges_pb2.UsageCharge],
                             now: datetime) -> int:
    """扣费 for a batch in one transaction: real-time accounts are debited, month-end and post-paid
    accounts accrue; then arrears and alarm levels are re-evaluated once per account. Returns
    how many charges moved money or accrued."""
    valid = [c for c in charges if _chargeable(c)]
    if not valid:
        return 0
    async with uow:
        by_meter = await uow.repo.accounts_of_meters([c.meter_id for c in valid], for_update=True)
        transfers, accruals = [], []
        for c in valid:
            account = by_meter.get(c.meter_id)
            if account is None:
                log.warning("charge for a meter without an account", meter_id=c.meter_id, charge_id=c.charge_id)
                continue
            purse = Purse.WATER if c.commodity == "water" else Purse.ELECTRICITY
            if account.settlement == Settlement.MONTH_END or account.mode == AccountMode.POSTPAID:
                accruals.append(dict(charge_id=c.charge_id, account_id=account.account_id, period=c.period,
                                     purse=str(purse), amount_fen=c.amount_fen))
                continue
            transfers.append(Transfer(f"charge:{c.charge_id}", purse_ledger(account, purse), revenue_account(purse),
                                      c.amount_fen, TransferKind.USAGE_CHARGE, reference=c.meter_id))
        posted = await uow.repo.post_transfers(transfers)
        accrued = await uow.repo.accrue(accruals)
        touched: dict[str, AccountRow] = {}
        last_transfer: dict[str, str] = {}
        for t in posted:
            account = by_meter[t.reference]
            touched[account.account_id] = account
            last_transfer[account.account_id] = t.transfer_id
        await _apply_supply_rules_many(uow, list(touched.values()), now, last_transfer)
        await uow.commit()
    return len(posted) + len(accrued)


def _chargeable(charge: charges_pb2.UsageCharge) -> bool:
    if charge.amount_fen < 0:
        log.error("negative charge refused", charge_id=charge.charge_id, amount_fen=charge.amount_fen)
        return False
    return charge.amount_fen > 0  # nothing to move; a zero transfer is not a transfer


# ---- recharges, refunds, reversals ----

async def recharge(uow: WalletUnitOfWork, cmd: Recharge, now: datetime) -> tuple[int, bool]:
    """售电/售水: credit the wallet with money received, less the project's service fee.

    Returns (balance, duplicate)."""
    channel = parse_channel(cmd.channel)
    async with uow:
        account = await _open_account_for_update(uow, cmd.account_id)
        posted, balance = await _credit_payment(uow, account, cmd.transfer_id, cmd.amount_fen, channel,
                                                _purse(cmd.purse), f"{channel}:{cmd.operator}", now)
        await uow.commit()
    return balance, not posted


async def _credit_payment(uow: WalletUnitOfWork, account: AccountRow, transfer_id: str, paid_fen: int,
                          channel: Channel, purse: Purse, reference: str, now: datetime) -> tuple[bool, int]:
    """Post a received payment: credited = paid x (1 - fee ratio), the fee to its own account."""
    if paid_fen <= 0:
        raise InvalidTransfer(f"amount must be a positive whole number of fen, got {paid_fen!r}")
    fee = service_fee_fen(paid_fen, await uow.repo.fee_ratio(account.project_id))
    wallet = purse_ledger(account, purse)
    legs = [Transfer(transfer_id, clearing_account(channel), wallet, paid_fen - fee, TransferKind.RECHARGE,
                     reference=reference[:200])]
    if fee:
        legs.append(Transfer(f"{transfer_id}:fee", clearing_account(channel), FEE_INCOME, fee,
                             TransferKind.SERVICE_FEE, reference=transfer_id[:200]))
    posted = await uow.repo.post_transfers(legs)
    balance = await uow.repo.balance(wallet)
    if posted:
        await uow.emit(messaging.WALLET_EVENTS, account.account_id, await _event(
            uow, account, wallet_pb2.WALLET_EVENT_KIND_RECHARGED, balance, transfer_id, now))
        await _apply_supply_rules(uow, account, balance, transfer_id, now)
    return bool(posted), balance


async def refund(uow: WalletUnitOfWork, transfer_id: str, account_id: str, amount_fen: int, channel: str,
                 purse: str, now: datetime) -> tuple[int, bool]:
    """退电/退水: pay money back out of the wallet; never more than the balance. Returns (balance, duplicate)."""
    async with uow:
        account = await _open_account_for_update(uow, account_id)
        wallet = purse_ledger(account, _purse(purse))
        existing = await uow.repo.transfer(transfer_id)
        if existing is None and amount_fen > await uow.repo.balance(wallet):
            raise InvalidTransfer("a refund cannot exceed the balance")
        posted = await uow.repo.post_transfer(Transfer(transfer_id, wallet, clearing_account(parse_channel(channel)),
                                                       amount_fen, TransferKind.REFUND))
        balance = await uow.repo.balance(wallet)
        if posted:
            await _apply_supply_rules(uow, account, balance, transfer_id, now)
        await uow.commit()
    return balance, not posted


async def reverse(uow: WalletUnitOfWork, transfer_id: str, reason: str, now: datetime) -> bool:
    """冲正: correct a wrong entry with a new one the other way; a transfer is reversed at most once."""
    async with uow:
        original = await uow.repo.transfer(transfer_id)
        if original is None:
            raise UnknownAccount(f"unknown transfer {transfer_id!r}")
        if original.kind is TransferKind.REVERSAL:
            raise InvalidTransfer("a reversal is not reversed; post a new entry instead")
        affected = await uow.repo.accounts_for_update(
            a.removeprefix("acct:").removesuffix(":water") for a in (original.debit_account_id,
                                                                     original.credit_account_id)
            if a.startswith("acct:"))
        posted = await uow.repo.post_transfer(replace(original.reversed(f"reversal:{transfer_id}"),
                                                      reference=f"reverses {transfer_id}: {reason}"[:200]))
        if posted:
            await _apply_supply_rules_many(uow, list(affected.values()), now,
                                           dict.fromkeys(affected, f"reversal:{transfer_id}"))
        await uow.commit()
    return posted


async def batch_recharge(uow: WalletUnitOfWork, items: Sequence[Recharge], now: datetime) -> int:
    """批量充值: all or nothing, each item idempotent by its transfer id; returns how many were new."""
    posted = 0
    async with uow:
        for cmd in sorted(items, key=lambda i: i.account_id):
            account = await _open_account_for_update(uow, cmd.account_id)
            new, _ = await _credit_payment(uow, account, cmd.transfer_id, cmd.amount_fen, parse_channel(cmd.channel),
                                           _purse(cmd.purse), f"batch:{cmd.operator}", now)
            posted += new
        await uow.commit()
    return posted


async def batch_refund(uow: WalletUnitOfWork, items: Sequence[Recharge], now: datetime) -> int:
    """批量退费: all or nothing; a refund larger than its balance fails the whole batch."""
    posted = 0
    async with uow:
        for cmd in sorted(items, key=lambda i: i.account_id):
            account = await _open_account_for_update(uow, cmd.account_id)
            wallet = purse_ledger(account, _purse(cmd.purse))
            if await uow.repo.transfer(cmd.transfer_id) is None and cmd.amount_fen > await uow.repo.balance(wallet):
                raise InvalidTransfer(f"refund {cmd.transfer_id!r} exceeds the balance of {cmd.account_id!r}")
            t = Transfer(cmd.transfer_id, wallet, clearing_account(parse_channel(cmd.channel)), cmd.amount_fen,
                         TransferKind.REFUND, reference=f"batch:{cmd.operator}"[:200])
            if await uow.repo.post_transfer(t):
                posted += 1
                await _apply_supply_rules(uow, account, await uow.repo.balance(wallet), t.transfer_id, now)
        await uow.commit()
    return posted


# ---- payment orders and callbacks ----

async def create_payment_order(uow: WalletUnitOfWork, order_id: str, account_id: str, channel: str,
                               amount_fen: int, purse: str = "electricity") -> Order:
    """A payment order the tenant pays through WeChat Pay or Alipay; the same order id again returns it."""
    if not order_id or len(order_id) > 32:
        raise InvalidTransfer("an order id (out_trade_no) has 1 to 32 characters")
    if amount_fen <= 0:
        raise InvalidTransfer("an order amount is a positive number of fen")
    order = Order(order_id, account_id, str(parse_channel(channel)), str(_purse(purse)), amount_fen,
                  OrderStatus.CREATED)
    async with uow:
        await _open_account_for_update(uow, account_id)
        if not await uow.repo.add_order(order):
            existing = await uow.repo.order(order_id)
            if existing is None or (existing.account_id, existing.amount_fen, existing.channel) != (
                    account_id, amount_fen, order.channel):
                raise AccountConflict(f"order {order_id!r} exists with different fields")
            return existing
        await uow.commit()
    return order


async def settle_payment_notice(uow: WalletUnitOfWork, notice: PaymentNotice, now: datetime) -> CallbackOutcome:
    """A verified callback: credit the order's account once. Concurrent replays serialise on the order row."""
    async with uow:
        order = await uow.repo.order(notice.order_id, for_update=True)
        try:
            check_notice_against_order(notice, order)
        except CallbackRejected:
            await uow.rollback()
            raise
        assert order is not None
        if order.status is OrderStatus.PAID:
            await uow.repo.record_callback(notice.channel, notice.order_id, CallbackOutcome.DUPLICATE, "")
            await uow.commit()
            return CallbackOutcome.DUPLICATE
        account = await _open_account_for_update(uow, order.account_id)
        transfer_id = f"pay:{order.channel}:{order.order_id}"
        await _credit_payment(uow, account, transfer_id, order.amount_fen, Channel(order.channel), Purse(order.purse),
                              f"{order.channel}:{notice.channel_transaction_id}", now)
        await uow.repo.mark_order_paid(order.order_id, notice.channel_transaction_id, transfer_id, now)
        await uow.repo.record_callback(notice.channel, notice.order_id, CallbackOutcome.CREDITED, "")
        await uow.commit()
    return CallbackOutcome.CREDITED


async def record_rejected_callback(uow: WalletUnitOfWork, channel: str, order_id: str, reason: str) -> None:
    async with uow:
        await uow.repo.record_callback(channel, order_id, CallbackOutcome.REJECTED, reason)
        await uow.commit()
    log.warning("payment callback rejected", channel=channel, order_id=order_id, reason=reason)


# ---- month-end settlement and post-paid bills ----

async def settle_period(uow: WalletUnitOfWork, account_id: str, period: str, now: datetime) -> tuple[str, str]:
    """月末结算 / 后付费账单: the period's accrued charges as one bill.

    A prepaid month-end account is debited at once (issued); a post-paid bill waits as a
    draft until staff confirm it. Returns (bill id, status); settling again changes nothing.
    """
    bill_id = f"{account_id}:{period}"
    async with uow:
        account = await uow.repo.account(account_id, for_update=True)
        if account is None:
            raise UnknownAccount(f"unknown account {account_id!r}")
        existing = await uow.repo.bill(bill_id)
        if existing is not None:
            return bill_id, existing.status
        totals = await uow.repo.accrued_totals(account_id, period)
        electricity, water = totals.get(Purse.ELECTRICITY, 0), totals.get(Purse.WATER, 0)
        postpaid = account.mode == AccountMode.POSTPAID
        status = BillStatus.DRAFT if postpaid else BillStatus.ISSUED
        await uow.repo.add_bill(bill_id, account_id, period, electricity, water, str(status))
        if not postpaid:
            await _post_bill(uow, account, bill_id, electricity, water, now)
        await uow.commit()
    return bill_id, str(status)


async def confirm_bill(uow: WalletUnitOfWork, bill_id: str, operator: str, now: datetime) -> bool:
    """Staff confirm a post-paid bill: it is issued and posted to the ledger. Again: no-op (False)."""
    async with uow:
        bill = await uow.repo.bill(bill_id, for_update=True)
        if bill is None:
            raise UnknownAccount(f"unknown bill {bill_id!r}")
        if bill.status == BillStatus.ISSUED:
            return False
        account = await uow.repo.account(bill.account_id, for_update=True)
        assert account is not None
        await _post_bill(uow, account, bill_id, bill.electricity_fen, bill.water_fen, now)
        await uow.repo.set_bill_status(bill_id, str(BillStatus.ISSUED), operator)
        await uow.commit()
    return True


async def _post_bill(uow: WalletUnitOfWork, account: AccountRow, bill_id: str, electricity_fen: int,
                     water_fen: int, now: datetime) -> None:
    legs = [Transfer(f"bill:{bill_id}:{purse}", purse_ledger(account, purse), revenue_account(purse), amount,
                     TransferKind.SETTLEMENT, reference=bill_id)
            for purse, amount in ((Purse.ELECTRICITY, electricity_fen), (Purse.WATER, water_fen)) if amount > 0]
    if await uow.repo.post_transfers(legs):
        await _apply_supply_rules(uow, account, await uow.repo.balance(account.ledger_account_id),
                                  f"bill:{bill_id}", now)


# ---- supply rules and events ----

async def _apply_supply_rules(uow: WalletUnitOfWork, account: AccountRow, balance_fen: int, transfer_id: str,
                              now: datetime) -> None:
    await _apply_supply_rules_many(uow, [account], now, {account.account_id: transfer_id},
                                   {account.account_id: balance_fen})


async def _apply_supply_rules_many(uow: WalletUnitOfWork, accounts: list[AccountRow], now: datetime,
                                   cause: dict[str, str], balances: dict[str, int] | None = None) -> None:
    """Arrears / recovery (F-26) and alarm levels (F-25) after money moved, one event per transition.

    Post-paid accounts are never cut for their balance: they owe a bill, not a prepayment.
    """
    accounts = [a for a in accounts if a.mode != AccountMode.POSTPAID]
    if not accounts:
        return
    if balances is None:
        by_ledger = await uow.repo.balances(a.ledger_account_id for a in accounts)
        balances = {a.account_id: by_ledger[a.ledger_account_id] for a in accounts}
    changed = [a for a in accounts if _supply_state_changes(a, balances[a.account_id])]
    if not changed:
        return
    meters = await uow.repo.meters_of_accounts(a.account_id for a in changed)
    flags, events = [], []
    for account in changed:
        balance = balances[account.account_id]
        change = supply_change(account.in_arrears, balance, account.cutoff_fen)
        level = account.alarm_policy.level(balance)
        in_arrears = account.in_arrears if change is None else change is SupplyChange.ARREARS
        flags.append((account.account_id, in_arrears, level))
        event = _make_event(account, meters.get(account.account_id, []), balance, cause[account.account_id], now)
        if level != account.alarm_level:
            events.append(_with_kind(event, wallet_pb2.WALLET_EVENT_KIND_ALARM_LEVEL, level,
                                     account.alarm_policy.repeat_count(level)))
        if change is not None:
            events.append(_with_kind(event, EVENT_KINDS[change], level, 0))
            log.info("supply change", account_id=account.account_id, change=str(change), balance_fen=balance)
    await uow.repo.update_supply_flags(flags)
    await uow.emit_many([(messaging.WALLET_EVENTS, e.account_id, e) for e in events])


def _supply_state_changes(account: AccountRow, balance_fen: int) -> bool:
    return (supply_change(account.in_arrears, balance_fen, account.cutoff_fen) is not None
            or account.alarm_policy.level(balance_fen) != account.alarm_level)


def _make_event(account: AccountRow, meters: list[str], balance_fen: int, transfer_id: str,
                now: datetime) -> wallet_pb2.WalletEvent:
    return wallet_pb2.WalletEvent(account_id=account.account_id, meter_ids=meters, balance_fen=balance_fen,
                                  occurred_at=_ts(now), transfer_id=transfer_id)


def _with_kind(event: wallet_pb2.WalletEvent, kind: int, level: int, repeats: int) -> wallet_pb2.WalletEvent:
    out = wallet_pb2.WalletEvent()
    out.CopyFrom(event)
    out.kind = kind
    out.alarm_level = level
    out.alarm_repeat_count = repeats
    suffix = f":{level}" if kind == wallet_pb2.WALLET_EVENT_KIND_ALARM_LEVEL else ""
    out.event_id = f"{event.transfer_id}:{wallet_pb2.WalletEventKind.Name(kind)}{suffix}"
    return out


async def _event(uow: WalletUnitOfWork, account: AccountRow, kind: int, balance_fen: int, transfer_id: str,
                 now: datetime) -> wallet_pb2.WalletEvent:
    event = _make_event(account, await uow.repo.meters_of(account.account_id), balance_fen, transfer_id, now)
    return _with_kind(event, kind, account.alarm_level, 0)


# ---- reconciliation ----

@dataclass(frozen=True)
class Reconciliation:
    ok: bool
    total_debits_fen: int
    total_credits_fen: int
    accounts_checked: int
    problems: list[str]


async def reconcile(uow: WalletUnitOfWork) -> Reconciliation:
    """对账: every balance equals the sum of its entries, debits equal credits, every paid order has one credit."""
    async with uow:
        checks = await uow.repo.ledger_checks()
        orders = await uow.repo.paid_orders_without_exactly_one_credit()
    problems = [
        f"{c.ledger_account_id}: posted {c.debits_posted_fen}/{c.credits_posted_fen} "
        f"but entries sum to {c.debits_entries_fen}/{c.credits_entries_fen}"
        for c in checks
        if (c.debits_posted_fen, c.credits_posted_fen) != (c.debits_entries_fen, c.credits_entries_fen)
    ]
    debits = sum(c.debits_entries_fen for c in checks)
    credits = sum(c.credits_entries_fen for c in checks)
    if debits != credits:
        problems.append(f"total debits {debits} != total credits {credits}")
    problems += [f"payment order {o}: paid without its credit, or credited but not paid" for o in orders]
    return Reconciliation(not problems, debits, credits, len(checks), problems)
