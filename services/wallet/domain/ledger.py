"""The double-entry ledger and the supply rules a balance drives.

Glossary: 售电 = recharge; 扣费 = deduction (a usage charge); 冲正 = reversal;
欠费 = arrears; 拉闸 = trip; 开户 = account opening.

TigerBeetle's model: ledger accounts and transfers. A transfer names a debit
account, a credit account and a positive amount in fen, under an id chosen by
the caller, so a retry is recognised. Nothing is updated or deleted; a
correction is a new transfer. A tenant wallet is a liability of the property
company: recharges credit it, charges debit it, its balance is credits - debits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LedgerKind(StrEnum):
    TENANT_WALLET = "tenant_wallet"                # 预付费账户: what the tenant has paid and not used
    REVENUE_ELECTRICITY = "revenue_electricity"    # 电费收入
    CASH_CLEARING = "cash_clearing"                # money received at the counter or from a channel


class TransferKind(StrEnum):
    RECHARGE = "recharge"
    USAGE_CHARGE = "usage_charge"
    OPENING = "opening"


# System ledger accounts (one each per deployment at this stage).
REVENUE_ELECTRICITY = "sys:revenue:electricity"
CASH_CLEARING = "sys:clearing:cash"
SYSTEM_ACCOUNTS = {REVENUE_ELECTRICITY: LedgerKind.REVENUE_ELECTRICITY, CASH_CLEARING: LedgerKind.CASH_CLEARING}


class InvalidTransfer(ValueError):
    pass


class TransferConflict(ValueError):
    """The transfer id is already posted with different fields: a retry must repeat the original exactly."""


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    debit_account_id: str
    credit_account_id: str
    amount_fen: int
    kind: TransferKind
    reference: str = ""

    def __post_init__(self) -> None:
        if not self.transfer_id:
            raise InvalidTransfer("a transfer needs an id chosen by the caller")
        if not isinstance(self.amount_fen, int) or self.amount_fen <= 0:
            raise InvalidTransfer(f"amount must be a positive whole number of fen, got {self.amount_fen!r}")
        if self.debit_account_id == self.credit_account_id:
            raise InvalidTransfer("debit and credit accounts must differ")

    def same_as(self, other: Transfer) -> bool:
        return (self.debit_account_id, self.credit_account_id, self.amount_fen, self.kind) == (
            other.debit_account_id, other.credit_account_id, other.amount_fen, other.kind)


def wallet_balance(debits_fen: int, credits_fen: int) -> int:
    """A tenant wallet's balance, derived from its posted totals."""
    return credits_fen - debits_fen


class SupplyChange(StrEnum):
    ARREARS = "arrears"       # at or below the cut-off: cut supply
    RECOVERED = "recovered"   # back above the cut-off: restore supply


def supply_change(in_arrears: bool, balance_fen: int, cutoff_fen: int) -> SupplyChange | None:
    """F-26: arrears when the balance is at or below the cut-off value; recovery when above again."""
    if not in_arrears and balance_fen <= cutoff_fen:
        return SupplyChange.ARREARS
    if in_arrears and balance_fen > cutoff_fen:
        return SupplyChange.RECOVERED
    return None
