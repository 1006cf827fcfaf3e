"""Account use cases: opening, closing, ownership, meter replacement, policies, and reading accounts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from services.kit.paging import Page, PageSize
from services.wallet.domain.accounts import Account, AccountSummary, OwnershipChange, service_fee_fen, wallets_of
from services.wallet.domain.commands import (
    CloseAccount,
    OpenAccount,
    ReplaceMeter,
    SetAlarmPolicy,
    SetFeeRatio,
    SetSettlement,
    TransferOwnership,
)
from services.wallet.domain.errors import AccountConflict, InvalidTransfer, UnknownAccount
from services.wallet.domain.events import alarm_policy_cause
from services.wallet.domain.ledger import TransferId
from services.wallet.domain.placements import project_of_new_account
from services.wallet.service.supply import BalanceMoved, review_supply
from services.wallet.unit_of_work import WalletUnitOfWork

ACCOUNT_PAGE = PageSize(default=500, maximum=5000)   # ListAccounts: 0 asks for 500, at most 5000


async def _new_account(uow: WalletUnitOfWork, cmd: OpenAccount) -> Account:
    """The account as asked; the project, when none is asked, and the tenant from the console's registry."""
    placed = await uow.placements.account(cmd.account_id)
    meters = await uow.placements.meters(cmd.meter_ids)
    return Account(account_id=cmd.account_id, tenant_name=cmd.tenant_name, cutoff_fen=cmd.cutoff_fen,
                   project_id=project_of_new_account(cmd.project_id, placed, meters), mode=cmd.mode,
                   settlement=cmd.settlement, alarm_policy=cmd.alarms, tenant_id=placed.tenant_id if placed else "")


async def open_account(uow: WalletUnitOfWork, cmd: OpenAccount, now: datetime) -> int:
    """开户: a tenant wallet with its meters and the money paid when opening; returns the balance."""
    if not cmd.account_id or not cmd.meter_ids:
        raise InvalidTransfer("an account needs an id and at least one meter")
    if cmd.opening_balance_fen < 0:
        raise InvalidTransfer("the opening balance must not be negative")
    async with uow:
        new = await _new_account(uow, cmd)
        account = await uow.accounts.add(new, wallets_of(cmd.account_id, cmd.separate_water))
        if account is None:
            raise AccountConflict(f"account {cmd.account_id!r} already exists")
        taken = await uow.accounts.assign_meters(account, sorted(set(cmd.meter_ids)))
        if taken:
            raise AccountConflict(f"meters already in another account: {', '.join(taken)}")
        if cmd.opening_balance_fen:
            await uow.ledger.post([account.opening_deposit(cmd.opening_balance_fen)], against=[account])
        balance = account.balance_fen()
        await review_supply(uow, now, BalanceMoved(account, balance, TransferId.opening(cmd.account_id).key))
        await uow.commit()
    return balance


async def open_accounts(new_uow: Callable[[], WalletUnitOfWork], commands: Sequence[OpenAccount],
                        now: datetime) -> list[str]:
    """开户 from pre-filled records in one click: opens each; returns the ids that already existed."""
    existing = []
    for cmd in commands:
        try:
            await open_account(new_uow(), cmd, now)
        except AccountConflict:
            existing.append(cmd.account_id)
    return existing


async def close_account(uow: WalletUnitOfWork, cmd: CloseAccount) -> int:
    """销户: pay back what is left (final settlement), free the meters, close; returns the amount paid back."""
    async with uow:
        account = await uow.accounts.get_for_update(cmd.account_id)
        account.ensure_open()
        legs = account.close_out(cmd.channel)
        await uow.ledger.post(legs, against=[account])
        meters = await uow.accounts.meters_of([account.account_id])
        await uow.accounts.detach_meters(account, meters.get(account.account_id, []))
        account.close()
        await uow.accounts.save(account)
        await uow.commit()
    return sum(leg.amount_fen for leg in legs)


async def transfer_ownership(uow: WalletUnitOfWork, cmd: TransferOwnership, now: datetime) -> int:
    """过户: the account passes to a new tenant; optionally the old owner is paid what is left.

    Returns what the old owner was paid; the same change again changes nothing.
    """
    if not cmd.change_id or not cmd.new_tenant_name:
        raise InvalidTransfer("an ownership change needs an id and the new tenant's name")
    async with uow:
        account = await uow.accounts.get_for_update(cmd.account_id)
        account.ensure_open()
        payout = account.pay_out_to_old_owner(cmd.change_id) if cmd.settle_to_old_owner else None
        if payout is not None:
            await uow.ledger.post([payout], against=[account])
        settled = payout.amount_fen if payout else 0
        change = OwnershipChange(cmd.change_id, cmd.account_id, account.state.tenant_name, cmd.new_tenant_name,
                                 settled)
        if not await uow.accounts.add_ownership_change(change):
            return settled  # the same change again: already done
        account.rename(cmd.new_tenant_name)
        await uow.accounts.save(account)
        await review_supply(uow, now, BalanceMoved(account, account.balance_fen(),
                                                   TransferId.ownership(cmd.change_id).key))
        await uow.commit()
    return settled


async def replace_meter(uow: WalletUnitOfWork, cmd: ReplaceMeter, now: datetime) -> str:
    """换表: the new meter takes the old one's place; if it already has its own wallet, the money moves there.

    Returns the account that now holds the money.
    """
    async with uow:
        found = await uow.accounts.get_for_update_by_meters([cmd.old_meter_id, cmd.new_meter_id])
        old, new = found.get(cmd.old_meter_id), found.get(cmd.new_meter_id)
        if old is None:
            raise UnknownAccount(f"meter {cmd.old_meter_id!r} is in no account")
        await uow.accounts.detach_meters(old, [cmd.old_meter_id])
        if new is None:
            await uow.accounts.assign_meters(old, [cmd.new_meter_id])
            await uow.commit()
            return old.account_id
        move_id = TransferId.move(cmd.old_meter_id, cmd.new_meter_id)
        move = old.move_balance_to(new, move_id)
        if move is not None:
            await uow.ledger.post([move], against=[old, new])
        await review_supply(uow, now, *(BalanceMoved(a, a.balance_fen(), move_id.key) for a in (old, new)))
        await uow.commit()
    return new.account_id


async def set_alarm_policy(uow: WalletUnitOfWork, cmd: SetAlarmPolicy, now: datetime) -> int:
    """Set the balance alarm thresholds; returns the level the balance is at now."""
    async with uow:
        account = await uow.accounts.get_for_update(cmd.account_id)
        account.ensure_open()
        account.set_alarm_policy(cmd.policy)
        await uow.accounts.save(account)
        balance = account.balance_fen()
        await review_supply(uow, now, BalanceMoved(account, balance, alarm_policy_cause(cmd.account_id, now)))
        await uow.commit()
    return cmd.policy.level(balance)


async def set_settlement(uow: WalletUnitOfWork, cmd: SetSettlement) -> None:
    """Switch between real-time deduction and month-end settlement (F-24)."""
    async with uow:
        account = await uow.accounts.get_for_update(cmd.account_id)
        account.ensure_open()
        account.set_settlement(cmd.settlement)
        await uow.accounts.save(account)
        await uow.commit()


async def set_fee_ratio(uow: WalletUnitOfWork, cmd: SetFeeRatio) -> None:
    """The share of every payment a project keeps back as the service fee (服务费)."""
    service_fee_fen(100, cmd.ratio)  # validates the range
    async with uow:
        await uow.payments.set_fee_ratio(cmd.project_id, cmd.ratio)
        await uow.commit()


async def get_account(uow: WalletUnitOfWork, account_id: str) -> AccountSummary:
    """An account with its balances and meters."""
    async with uow:
        summary = await uow.accounts.summary(account_id)
    if summary is None:
        raise UnknownAccount(f"unknown account {account_id!r}")
    return summary


async def list_accounts(uow: WalletUnitOfWork, limit: int, cursor: str = "") -> Page[AccountSummary]:
    """A page of accounts in id order (limit 0: the default page size; over the maximum: capped)."""
    async with uow:
        return await uow.accounts.summaries(ACCOUNT_PAGE.of(limit), cursor)
