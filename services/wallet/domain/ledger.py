"""The double-entry ledger and the supply rules a balance drives.

Glossary: 售电/售水 = recharge; 扣费 = deduction (a usage charge); 冲正 = reversal;
退费 = refund; 欠费 = arrears; 拉闸 = trip; 开户 = account opening; 销户 = closing with
final settlement; 过户 = transfer of ownership; 换表 = meter replacement; 服务费 = service
fee; 批量退补 = batch top-up / refund; 对账 = reconciliation.

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
    TENANT_WATER_WALLET = "tenant_water_wallet"    # the water purse, where a plan keeps it apart
    REVENUE_ELECTRICITY = "revenue_electricity"    # 电费收入
    REVENUE_WATER = "revenue_water"                # 水费收入
    FEE_INCOME = "fee_income"                      # 服务费收入
    CASH_CLEARING = "cash_clearing"                # money received at the counter
    CHANNEL_CLEARING = "channel_clearing"          # money received through a payment channel


class TransferKind(StrEnum):
    RECHARGE = "recharge"
    USAGE_CHARGE = "usage_charge"
    OPENING = "opening"
    SERVICE_FEE = "service_fee"
    REFUND = "refund"
    REVERSAL = "reversal"
    SETTLEMENT = "settlement"        # month-end or post-paid bill posted at once
    CLOSING = "closing"              # final settlement paid back when an account closes
    MOVE = "move"                    # money moved between wallets (meter replacement)


# System ledger accounts (one each per deployment at this stage).
REVENUE_ELECTRICITY = "sys:revenue:electricity"
REVENUE_WATER = "sys:revenue:water"
FEE_INCOME = "sys:income:service-fee"
CASH_CLEARING = "sys:clearing:cash"
SYSTEM_ACCOUNTS = {REVENUE_ELECTRICITY: LedgerKind.REVENUE_ELECTRICITY, CASH_CLEARING: LedgerKind.CASH_CLEARING,
                   REVENUE_WATER: LedgerKind.REVENUE_WATER, FEE_INCOME: LedgerKind.FEE_INCOME}


class Channel(StrEnum):
    CASH = "cash"            # 柜台现金
    WECHAT = "wechat"        # 微信支付
    ALIPAY = "alipay"        # 支付宝
    BANK = "bank"            # 银行转账 (also company to company)
    IC_CARD = "ic_card"      # IC 卡
    UNIONPAY = "unionpay"    # 银联


def clearing_account(channel: Channel) -> str:
    """Where money received through a channel sits until it is paid out to the property company."""
    return CASH_CLEARING if channel is Channel.CASH else f"sys:clearing:{channel}"


def parse_channel(text: str) -> Channel:
    try:
        return Channel(text or "cash")
    except ValueError as exc:
        raise InvalidTransfer(f"unknown channel {text!r}; one of {', '.join(c.value for c in Channel)}") from exc


class Purse(StrEnum):
    ELECTRICITY = "electricity"
    WATER = "water"


def revenue_account(purse: Purse) -> str:
    return REVENUE_WATER if purse is Purse.WATER else REVENUE_ELECTRICITY


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

    def reversed(self, reversal_id: str) -> Transfer:
        """冲正: the same amount back the other way, as a new entry."""
        return Transfer(reversal_id, self.credit_account_id, self.debit_account_id, self.amount_fen,
                        TransferKind.REVERSAL, reference=f"reverses {self.transfer_id}"[:200])

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
