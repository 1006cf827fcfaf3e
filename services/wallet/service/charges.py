"""Usage charges (扣费): tariff's priced intervals debited from, or accrued on, the meters' accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.kit.logging import get_logger
from services.wallet.domain.accounts import LockedAccount
from services.wallet.domain.bills import Accrual
from services.wallet.domain.commands import PostCharge, split_chargeable
from services.wallet.domain.ledger import Transfer
from services.wallet.service.supply import BalanceMoved, review_supply
from services.wallet.unit_of_work import WalletUnitOfWork

log = get_logger(__name__)


async def post_usage_charge(uow: WalletUnitOfWork, charge: PostCharge, now: datetime) -> bool:
    """扣费: debit the meter's wallet by the charge; the same charge twice posts once."""
    return bool(await post_usage_charges(uow, [charge], now))


async def post_usage_charges(uow: WalletUnitOfWork, charges: Sequence[PostCharge], now: datetime) -> int:
    """扣费 for a batch in one transaction: real-time accounts are debited, month-end and post-paid
    accounts accrue; then arrears and alarm levels are re-evaluated once per account. Returns
    how many charges moved money or accrued."""
    valid, refused = split_chargeable(list(charges))
    for c in refused:
        log.error("negative charge refused", charge_id=c.charge_id, amount_fen=c.amount_fen)
    if not valid:
        return 0
    async with uow:
        by_meter = await uow.accounts.get_for_update_by_meters(c.meter_id for c in valid)
        transfers, accruals = _postings(valid, by_meter)
        posted = await uow.ledger.post(transfers, against=by_meter.values())
        accrued = await uow.bills.accrue(accruals)
        await review_supply(uow, now, *_moved_by(posted, by_meter))
        await uow.commit()
    return len(posted) + len(accrued)


def _postings(charges: list[PostCharge], by_meter: dict[str, LockedAccount]) -> tuple[list[Transfer], list[Accrual]]:
    transfers: list[Transfer] = []
    accruals: list[Accrual] = []
    for c in charges:
        account = by_meter.get(c.meter_id)
        if account is None:
            log.warning("charge for a meter without an account", meter_id=c.meter_id, charge_id=c.charge_id)
            continue
        posting = account.charge(c)
        if isinstance(posting, Accrual):
            accruals.append(posting)
        else:
            transfers.append(posting)
    return transfers, accruals


def _moved_by(posted: list[Transfer], by_meter: dict[str, LockedAccount]) -> list[BalanceMoved]:
    """Each account a posted charge debited, once, caused by the last of its charges."""
    accounts = {a.account_id: a for a in by_meter.values()}
    last_charge: dict[str, str] = {}
    for t in posted:
        last_charge[t.owner_account_id] = t.id.key
    return [BalanceMoved(accounts[account_id], accounts[account_id].balance_fen(), cause)
            for account_id, cause in last_charge.items()]
