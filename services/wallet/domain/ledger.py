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

Ids are opaque. What a ledger account or a transfer is (whose wallet, which purse, which
channel, which order or charge) is in typed fields, stored as columns; the id texts are
made here, deterministically where a retry must map to the same id, and never read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.wallet.domain.errors import InvalidTransfer


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


class Channel(StrEnum):
    CASH = "cash"            # 柜台现金
    WECHAT = "wechat"        # 微信支付
    ALIPAY = "alipay"        # 支付宝
    BANK = "bank"            # 银行转账 (also company to company)
    IC_CARD = "ic_card"      # IC 卡
    UNIONPAY = "unionpay"    # 银联


class Purse(StrEnum):
    ELECTRICITY = "electricity"
    WATER = "water"


def parse_channel(text: str) -> Channel:
    try:
        return Channel(text or "cash")
    except ValueError as exc:
        raise InvalidTransfer(f"unknown channel {text!r}; one of {', '.join(c.value for c in Channel)}") from exc


def parse_purse(text: str) -> Purse:
    try:
        return Purse(text or "electricity")
    except ValueError as exc:
        raise InvalidTransfer(f"unknown purse {text!r}") from exc


@dataclass(frozen=True, eq=False)
class LedgerAccountId:
    """A ledger account: an opaque key, and what the account is in typed fields (its columns).

    Two references are the same account when their keys are equal.
    """

    key: str
    kind: LedgerKind
    owner_account_id: str | None = None    # the tenant account, for a wallet
    purse: Purse | None = None             # wallets and revenue accounts
    channel: Channel | None = None         # clearing accounts

    @classmethod
    def tenant_wallet(cls, account_id: str, purse: Purse) -> LedgerAccountId:
        if purse is Purse.WATER:
            return cls(f"acct:{account_id}:water", LedgerKind.TENANT_WATER_WALLET, account_id, Purse.WATER)
        return cls(f"acct:{account_id}", LedgerKind.TENANT_WALLET, account_id, Purse.ELECTRICITY)

    @property
    def is_tenant_wallet(self) -> bool:
        return self.owner_account_id is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LedgerAccountId) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return self.key


# System ledger accounts (one each per deployment at this stage; the migrations create them).
REVENUE_ELECTRICITY = LedgerAccountId("sys:revenue:electricity", LedgerKind.REVENUE_ELECTRICITY,
                                      purse=Purse.ELECTRICITY)
REVENUE_WATER = LedgerAccountId("sys:revenue:water", LedgerKind.REVENUE_WATER, purse=Purse.WATER)
FEE_INCOME = LedgerAccountId("sys:income:service-fee", LedgerKind.FEE_INCOME)
CASH_CLEARING = LedgerAccountId("sys:clearing:cash", LedgerKind.CASH_CLEARING, channel=Channel.CASH)


def clearing_account(channel: Channel) -> LedgerAccountId:
    """Where money received through a channel sits until it is paid out to the property company."""
    if channel is Channel.CASH:
        return CASH_CLEARING
    return LedgerAccountId(f"sys:clearing:{channel}", LedgerKind.CHANNEL_CLEARING, channel=channel)


def revenue_account(purse: Purse) -> LedgerAccountId:
    return REVENUE_WATER if purse is Purse.WATER else REVENUE_ELECTRICITY


@dataclass(frozen=True)
class TransferId:
    """A transfer's idempotency key: chosen by the caller, or made from what the transfer is for, so
    that a retry maps to the same id. Once made it is opaque: the transfer's fields say what it is."""

    key: str

    @classmethod
    def charge(cls, charge_id: str) -> TransferId:
        return cls(f"charge:{charge_id}")

    @classmethod
    def payment(cls, channel: Channel, order_id: str) -> TransferId:
        return cls(f"pay:{channel}:{order_id}")

    @classmethod
    def opening(cls, account_id: str) -> TransferId:
        return cls(f"opening:{account_id}")

    @classmethod
    def closing(cls, account_id: str, purse: Purse) -> TransferId:
        return cls(f"closing:{account_id}:{purse}")

    @classmethod
    def ownership(cls, change_id: str) -> TransferId:
        return cls(f"ownership:{change_id}")

    @classmethod
    def move(cls, old_meter_id: str, new_meter_id: str) -> TransferId:
        return cls(f"move:{old_meter_id}:{new_meter_id}")

    @classmethod
    def bill(cls, bill_id: str, purse: Purse) -> TransferId:
        return cls(f"bill:{bill_id}:{purse}")

    def fee_leg(self) -> TransferId:
        return TransferId(f"{self.key}:fee")

    def reversal(self) -> TransferId:
        return TransferId(f"reversal:{self.key}")

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class Transfer:
    """One posted movement of money; owner, order, charge and what it reverses are its typed links."""

    id: TransferId
    debit: LedgerAccountId
    credit: LedgerAccountId
    amount_fen: int
    kind: TransferKind
    reference: str = ""
    owner_account_id: str | None = None    # default: the tenant wallet's owner (debit side first)
    order_id: str | None = None            # the payment order it settles
    charge_id: str | None = None           # the usage charge it posts
    reverses: TransferId | None = None     # the transfer it reverses

    def __post_init__(self) -> None:
        if not self.id.key:
            raise InvalidTransfer("a transfer needs an id chosen by the caller")
        if not isinstance(self.amount_fen, int) or self.amount_fen <= 0:
            raise InvalidTransfer(f"amount must be a positive whole number of fen, got {self.amount_fen!r}")
        if self.debit == self.credit:
            raise InvalidTransfer("debit and credit accounts must differ")
        if self.owner_account_id is None:
            object.__setattr__(self, "owner_account_id",
                               self.debit.owner_account_id or self.credit.owner_account_id)

    @property
    def channel(self) -> Channel | None:
        """The payment channel the money came in or went out through (its clearing account's)."""
        return self.debit.channel or self.credit.channel

    @property
    def tenant_wallets(self) -> tuple[LedgerAccountId, ...]:
        return tuple(side for side in (self.debit, self.credit) if side.is_tenant_wallet)

    def reversed(self, reason: str) -> Transfer:
        """冲正: the same amount back the other way, as a new entry."""
        return Transfer(self.id.reversal(), self.credit, self.debit, self.amount_fen, TransferKind.REVERSAL,
                        reference=f"reverses {self.id}: {reason}"[:200], reverses=self.id)

    def same_as(self, other: Transfer) -> bool:
        return (self.debit.key, self.credit.key, self.amount_fen, self.kind) == (
            other.debit.key, other.credit.key, other.amount_fen, other.kind)


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


@dataclass(frozen=True)
class LedgerCheck:
    """A ledger account's posted totals beside the sums of its entries (they must be equal)."""

    ledger_account_id: str
    debits_posted_fen: int
    credits_posted_fen: int
    debits_entries_fen: int
    credits_entries_fen: int

    def problem(self) -> str | None:
        if (self.debits_posted_fen, self.credits_posted_fen) == (self.debits_entries_fen, self.credits_entries_fen):
            return None
        return (f"{self.ledger_account_id}: posted {self.debits_posted_fen}/{self.credits_posted_fen} "
                f"but entries sum to {self.debits_entries_fen}/{self.credits_entries_fen}")
