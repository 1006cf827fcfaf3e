"""Use cases of the wallet service: open accounts, post charges, recharge, reconcile."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from services.contracts.meterpay.v1 import charges_pb2, wallet_pb2
from services.kit import messaging
from services.kit.db import UnitOfWork
from services.kit.logging import get_logger
from services.wallet.domain.ledger import (
    CASH_CLEARING,
    REVENUE_ELECTRICITY,
    InvalidTransfer,
    LedgerKind,
    SupplyChange,
    Transfer,
    TransferKind,
    supply_change,
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


@dataclass(frozen=True)
class Recharge:
    transfer_id: str
    account_id: str
    amount_fen: int
    channel: str
    operator: str = ""


def _ts(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


def ledger_id_of(account_id: str) -> str:
    return f"acct:{account_id}"


async def open_account(uow: WalletUnitOfWork, cmd: OpenAccount, now: datetime) -> int:
    """开户: a tenant wallet with its meters and the money paid when opening; returns the balance."""
    if not cmd.account_id or not cmd.meter_ids:
        raise InvalidTransfer("an account needs an id and at least one meter")
    if cmd.opening_balance_fen < 0:
        raise InvalidTransfer("the opening balance must not be negative")
    async with uow:
        row = AccountRow(cmd.account_id, cmd.tenant_name, ledger_id_of(cmd.account_id), cmd.cutoff_fen, False)
        if not await uow.repo.add_account_with_ledger(row, LedgerKind.TENANT_WALLET):
            raise AccountConflict(f"account {cmd.account_id!r} already exists")
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


async def post_usage_charge(uow: WalletUnitOfWork, charge: charges_pb2.UsageCharge, now: datetime) -> bool:
    """扣费: debit the meter's wallet by the charge; the same charge twice posts once."""
    if charge.amount_fen < 0:
        log.error("negative charge refused", charge_id=charge.charge_id, amount_fen=charge.amount_fen)
        return False
    if charge.amount_fen == 0:
        return False  # nothing to move; a zero transfer is not a transfer
    async with uow:
        account = await uow.repo.account_of_meter(charge.meter_id, for_update=True)
        if account is None:
            log.warning("charge for a meter without an account", meter_id=charge.meter_id, charge_id=charge.charge_id)
            return False
        transfer = Transfer(f"charge:{charge.charge_id}", account.ledger_account_id, REVENUE_ELECTRICITY,
                            charge.amount_fen, TransferKind.USAGE_CHARGE, reference=charge.meter_id)
        if not await uow.repo.post_transfer(transfer):
            return False
        balance = await uow.repo.balance(account.ledger_account_id)
        await _apply_supply_rules(uow, account, balance, transfer.transfer_id, now)
        await uow.commit()
    return True


async def recharge(uow: WalletUnitOfWork, cmd: Recharge, now: datetime) -> tuple[int, bool]:
    """售电: credit the wallet with money received; returns (balance, duplicate)."""
    async with uow:
        account = await uow.repo.account(cmd.account_id, for_update=True)
        if account is None:
            raise UnknownAccount(f"unknown account {cmd.account_id!r}")
        transfer = Transfer(cmd.transfer_id, CASH_CLEARING, account.ledger_account_id, cmd.amount_fen,
                            TransferKind.RECHARGE, reference=f"{cmd.channel}:{cmd.operator}"[:200])
        posted = await uow.repo.post_transfer(transfer)
        balance = await uow.repo.balance(account.ledger_account_id)
        if posted:
            await uow.emit(messaging.WALLET_EVENTS, account.account_id, await _event(
                uow, account, wallet_pb2.WALLET_EVENT_KIND_RECHARGED, balance, transfer.transfer_id, now))
            await _apply_supply_rules(uow, account, balance, transfer.transfer_id, now)
        await uow.commit()
    return balance, not posted


async def _apply_supply_rules(uow: WalletUnitOfWork, account: AccountRow, balance_fen: int, transfer_id: str,
                              now: datetime) -> None:
    change = supply_change(account.in_arrears, balance_fen, account.cutoff_fen)
    if change is None:
        return
    await uow.repo.set_in_arrears(account.account_id, change is SupplyChange.ARREARS)
    await uow.emit(messaging.WALLET_EVENTS, account.account_id,
                   await _event(uow, account, EVENT_KINDS[change], balance_fen, transfer_id, now))
    log.info("supply change", account_id=account.account_id, change=str(change), balance_fen=balance_fen)


async def _event(uow: WalletUnitOfWork, account: AccountRow, kind: int, balance_fen: int, transfer_id: str,
                 now: datetime) -> wallet_pb2.WalletEvent:
    return wallet_pb2.WalletEvent(
        event_id=f"{transfer_id}:{wallet_pb2.WalletEventKind.Name(kind)}", account_id=account.account_id,
        meter_ids=await uow.repo.meters_of(account.account_id), kind=kind, balance_fen=balance_fen,
        occurred_at=_ts(now), transfer_id=transfer_id)


@dataclass(frozen=True)
class Reconciliation:
    ok: bool
    total_debits_fen: int
    total_credits_fen: int
    accounts_checked: int
    problems: list[str]


async def reconcile(uow: WalletUnitOfWork) -> Reconciliation:
    """Prove the ledger: every balance equals the sum of its entries, and debits equal credits."""
    async with uow:
        checks = await uow.repo.ledger_checks()
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
    return Reconciliation(not problems, debits, credits, len(checks), problems)
