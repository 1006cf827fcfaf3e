"""Month-end settlement and post-paid bills (月末结算, 后付费账单; F-24, F-34)."""

from __future__ import annotations

from datetime import datetime

from services.wallet.domain.accounts import LockedAccount
from services.wallet.domain.bills import Bill, BillStatus, bill_id_of
from services.wallet.domain.commands import ConfirmBill, SettlePeriod
from services.wallet.domain.errors import UnknownBill
from services.wallet.domain.events import bill_cause
from services.wallet.domain.results import BillSettled
from services.wallet.service.supply import BalanceMoved, review_supply
from services.wallet.unit_of_work import WalletUnitOfWork


async def settle_period(uow: WalletUnitOfWork, cmd: SettlePeriod, now: datetime) -> BillSettled:
    """月末结算 / 后付费账单: the period's accrued charges as one bill.

    A prepaid month-end account is debited at once (issued); a post-paid bill waits as a
    draft until staff confirm it. Settling again changes nothing.
    """
    bill_id = bill_id_of(cmd.account_id, cmd.period)
    async with uow:
        account = await uow.accounts.get_for_update(cmd.account_id)
        existing = await uow.bills.get(bill_id)
        if existing is not None:
            return BillSettled(bill_id, existing.status)
        bill = account.bill_for(cmd.period, await uow.bills.accrued_totals(cmd.account_id, cmd.period))
        await uow.bills.add(bill)
        if bill.status is BillStatus.ISSUED:
            await _post_bill(uow, account, bill, now)
        await uow.commit()
    return BillSettled(bill.bill_id, bill.status)


async def confirm_bill(uow: WalletUnitOfWork, cmd: ConfirmBill, now: datetime) -> bool:
    """Staff confirm a post-paid bill: it is issued and posted to the ledger. Again: no-op (False)."""
    async with uow:
        bill = await uow.bills.get_for_update(cmd.bill_id)
        if bill is None:
            raise UnknownBill(f"unknown bill {cmd.bill_id!r}")
        if bill.status is BillStatus.ISSUED:
            return False
        account = await uow.accounts.get_for_update(bill.account_id)
        await _post_bill(uow, account, bill, now)
        await uow.bills.issue(bill, cmd.operator)
        await uow.commit()
    return True


async def _post_bill(uow: WalletUnitOfWork, account: LockedAccount, bill: Bill, now: datetime) -> None:
    if await uow.ledger.post(account.bill_legs(bill), against=[account]):
        await review_supply(uow, now, BalanceMoved(account, account.balance_fen(), bill_cause(bill.bill_id)))
