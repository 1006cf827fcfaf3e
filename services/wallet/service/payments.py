"""Money in and out: recharges, refunds, batches of either, reversals, payment orders and their callbacks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.kit.logging import get_logger
from services.wallet.domain.accounts import LockedAccount, Payment
from services.wallet.domain.commands import CreatePaymentOrder, Recharge, Refund, Reverse
from services.wallet.domain.errors import InvalidTransfer, UnknownTransfer
from services.wallet.domain.ledger import TransferId, TransferKind, parse_channel, parse_purse
from services.wallet.domain.payments import (
    CallbackOutcome,
    CallbackRejected,
    Order,
    OrderStatus,
    PaymentNotice,
    check_notice_against_order,
)
from services.wallet.domain.results import MoneyPosted, ReversalPosted
from services.wallet.service.supply import BalanceMoved, review_supply
from services.wallet.unit_of_work import WalletUnitOfWork

log = get_logger(__name__)


async def recharge(uow: WalletUnitOfWork, cmd: Recharge, now: datetime) -> MoneyPosted:
    """售电/售水: credit the wallet with money received, less the project's service fee."""
    channel = parse_channel(cmd.channel)
    async with uow:
        account = await uow.accounts.get_for_update(cmd.account_id)
        account.ensure_open()
        payment = Payment(TransferId(cmd.transfer_id), cmd.amount_fen, channel, parse_purse(cmd.purse),
                          f"{channel}:{cmd.operator}")
        posted = await _credit_payment(uow, account, payment, now)
        await uow.commit()
    return MoneyPosted(cmd.transfer_id, account.balance_fen(payment.purse), duplicate=not posted)


async def _credit_payment(uow: WalletUnitOfWork, account: LockedAccount, payment: Payment, now: datetime) -> bool:
    """Post a received payment (and its fee); on a new one, RECHARGED and the supply rules."""
    legs = account.credit_payment(payment, await uow.payments.fee_ratio(account.project_id))
    posted = await uow.ledger.post(legs, against=[account])
    if posted:
        balance = account.balance_fen(payment.purse)
        meters = await uow.accounts.meters_of([account.account_id])
        await uow.publish(account.recharged(balance, meters.get(account.account_id, []), payment.transfer_id.key,
                                            now))
        await review_supply(uow, now, BalanceMoved(account, balance, payment.transfer_id.key))
    return bool(posted)


async def refund(uow: WalletUnitOfWork, cmd: Refund, now: datetime) -> MoneyPosted:
    """退电/退水: pay money back out of the wallet; never more than the balance."""
    async with uow:
        account = await uow.accounts.get_for_update(cmd.account_id)
        account.ensure_open()
        posted = await _post_refund(uow, account, cmd, "", now)
        await uow.commit()
    return MoneyPosted(cmd.transfer_id, account.balance_fen(parse_purse(cmd.purse)), duplicate=not posted)


async def _post_refund(uow: WalletUnitOfWork, account: LockedAccount, cmd: Refund, reference: str,
                       now: datetime) -> bool:
    purse = parse_purse(cmd.purse)
    retry = await uow.ledger.get(cmd.transfer_id) is not None
    transfer = account.refund(TransferId(cmd.transfer_id), cmd.amount_fen, cmd.channel, purse, reference, retry)
    posted = await uow.ledger.post([transfer], against=[account])
    if posted:
        await review_supply(uow, now, BalanceMoved(account, account.balance_fen(purse), cmd.transfer_id))
    return bool(posted)


async def post_batch(uow: WalletUnitOfWork, items: Sequence[Recharge | Refund], now: datetime) -> int:
    """批量充值 / 批量退费: all or nothing (a refund larger than its balance, an unknown or closed account
    fails the whole batch), each item idempotent by its transfer id; returns how many were new."""
    posted = 0
    async with uow:
        for cmd in sorted(items, key=lambda i: i.account_id):
            account = await uow.accounts.get_for_update(cmd.account_id)
            account.ensure_open()
            reference = f"batch:{cmd.operator}"
            if isinstance(cmd, Refund):
                posted += await _post_refund(uow, account, cmd, reference, now)
            else:
                payment = Payment(TransferId(cmd.transfer_id), cmd.amount_fen, parse_channel(cmd.channel),
                                  parse_purse(cmd.purse), reference)
                posted += await _credit_payment(uow, account, payment, now)
        await uow.commit()
    return posted


async def reverse(uow: WalletUnitOfWork, cmd: Reverse, now: datetime) -> ReversalPosted:
    """冲正: correct a wrong entry with a new one the other way; a transfer is reversed at most once."""
    async with uow:
        original = await uow.ledger.get(cmd.transfer_id)
        if original is None:
            raise UnknownTransfer(f"unknown transfer {cmd.transfer_id!r}")
        if original.kind is TransferKind.REVERSAL:
            raise InvalidTransfer("a reversal is not reversed; post a new entry instead")
        affected = await uow.accounts.get_many_for_update(w.owner_account_id for w in original.tenant_wallets)
        reversal = original.reversed(cmd.reason)
        posted = await uow.ledger.post([reversal], against=affected.values())
        if posted:
            await review_supply(uow, now, *(BalanceMoved(a, a.balance_fen(), reversal.id.key)
                                            for a in affected.values()))
        await uow.commit()
    return ReversalPosted(reversal.id.key, duplicate=not posted)


async def create_payment_order(uow: WalletUnitOfWork, cmd: CreatePaymentOrder) -> Order:
    """A payment order the tenant pays through WeChat Pay or Alipay; the same order id again returns it."""
    order = Order.new(cmd.order_id, cmd.account_id, cmd.channel, cmd.amount_fen, cmd.purse)
    async with uow:
        account = await uow.accounts.get_for_update(cmd.account_id)
        account.ensure_open()
        if not await uow.payments.add_order(order):
            return order.same_as(await uow.payments.order(order.order_id))
        await uow.commit()
    return order


async def settle_payment_notice(uow: WalletUnitOfWork, notice: PaymentNotice, now: datetime) -> CallbackOutcome:
    """A verified callback: credit the order's account once. Concurrent replays serialise on the order row."""
    async with uow:
        try:
            order = check_notice_against_order(notice, await uow.payments.order_for_update(notice.order_id))
        except CallbackRejected:
            await uow.rollback()
            raise
        if order.status is OrderStatus.PAID:
            await uow.payments.record_callback(notice.channel, notice.order_id, CallbackOutcome.DUPLICATE, "")
            await uow.commit()
            return CallbackOutcome.DUPLICATE
        account = await uow.accounts.get_for_update(order.account_id)
        account.ensure_open()
        transfer_id = TransferId.payment(order.channel, order.order_id)
        await _credit_payment(uow, account, Payment(transfer_id, order.amount_fen, order.channel, order.purse,
                                                    f"{order.channel}:{notice.channel_transaction_id}",
                                                    order.order_id), now)
        await uow.payments.mark_paid(order, notice.channel_transaction_id, transfer_id.key, now)
        await uow.payments.record_callback(notice.channel, notice.order_id, CallbackOutcome.CREDITED, "")
        await uow.commit()
    return CallbackOutcome.CREDITED


async def record_rejected_callback(uow: WalletUnitOfWork, channel: str, order_id: str, reason: str) -> None:
    """Keep a callback we did not believe, with its reason (the audit trail of forged or stale notices)."""
    async with uow:
        await uow.payments.record_callback(channel, order_id, CallbackOutcome.REJECTED, reason)
        await uow.commit()
    log.warning("payment callback rejected", channel=channel, order_id=order_id, reason=reason)
