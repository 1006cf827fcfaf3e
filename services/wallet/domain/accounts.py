"""The tenant account: modes, settlement, balance alarm levels, and the aggregate that moves its money.

Glossary: 预付费 = prepaid; 后付费 = post-paid; 实时扣费 = real-time deduction;
月末结算 = month-end settlement; 报警1/报警2/报警3 = alarm levels 1..3; 账单 = bill.

`Account` is what an account is (its row, named). `LockedAccount` is the aggregate: an account
whose row this transaction holds FOR UPDATE, with its wallets and their balances. Only the
repository makes one (`uow.accounts.get_for_update`, the multi-account variants lock in id
order), and everything that changes an account's money or state takes a LockedAccount, so a
forgotten lock is an error, not a comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from services.wallet.domain.bills import Accrual, Bill, BillStatus, bill_id_of
from services.wallet.domain.errors import AccountClosed, AccountInDebt, InvalidTransfer, RefundExceedsBalance
from services.wallet.domain.events import (
    AccountEvent,
    AlarmLevelReached,
    FellIntoArrears,
    Recharged,
    RecoveredFromArrears,
)
from services.wallet.domain.ledger import (
    CASH_CLEARING,
    FEE_INCOME,
    Channel,
    LedgerAccountId,
    Purse,
    SupplyChange,
    Transfer,
    TransferId,
    TransferKind,
    clearing_account,
    parse_channel,
    revenue_account,
    supply_change,
)

if TYPE_CHECKING:
    from services.wallet.domain.commands import PostCharge

MAX_ALARM_LEVELS = 5


class AccountMode(StrEnum):
    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class Settlement(StrEnum):
    REALTIME = "realtime"      # every charge is deducted as it arrives
    MONTH_END = "month_end"    # charges accrue and are posted once per period


class AccountStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def parse_mode(text: str) -> AccountMode:
    try:
        return AccountMode(text)
    except ValueError as exc:
        raise InvalidTransfer(str(exc)) from exc


def parse_settlement(text: str) -> Settlement:
    try:
        return Settlement(text)
    except ValueError as exc:
        raise InvalidTransfer(str(exc)) from exc


@dataclass(frozen=True)
class AlarmPolicy:
    """Balance thresholds, highest first: level n is reached at or below the n-th threshold."""

    thresholds_fen: tuple[int, ...] = ()
    repeats: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if len(self.thresholds_fen) > MAX_ALARM_LEVELS:
            raise InvalidTransfer(f"at most {MAX_ALARM_LEVELS} alarm levels")
        if list(self.thresholds_fen) != sorted(set(self.thresholds_fen), reverse=True):
            raise InvalidTransfer("alarm thresholds must strictly decrease (level 1 is the highest balance)")
        if self.repeats and len(self.repeats) != len(self.thresholds_fen):
            raise InvalidTransfer("one repeat count per alarm level")
        if any(r < 1 for r in self.repeats):
            raise InvalidTransfer("a repeat count is at least 1")

    def level(self, balance_fen: int) -> int:
        return sum(1 for threshold in self.thresholds_fen if balance_fen <= threshold)

    def repeat_count(self, level: int) -> int:
        return self.repeats[level - 1] if level and self.repeats else 1


def default_alarm_policy() -> AlarmPolicy:
    """Three levels (报警1 ¥50, 报警2 ¥20, 报警3 ¥10), as the newer platform does by default."""
    return AlarmPolicy((5000, 2000, 1000), (1, 2, 3))


def service_fee_fen(paid_fen: int, fee_ratio: Decimal) -> int:
    """The fee kept back from a payment: paid x ratio, half up to the fen; credited = paid - fee."""
    if not Decimal(0) <= fee_ratio < 1:
        raise InvalidTransfer("a service-fee ratio is at least 0 and below 1")
    return int((Decimal(paid_fen) * fee_ratio).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Account:
    account_id: str
    tenant_name: str
    cutoff_fen: int
    in_arrears: bool = False
    project_id: str = ""
    mode: AccountMode = AccountMode.PREPAID
    settlement: Settlement = Settlement.REALTIME
    status: AccountStatus = AccountStatus.OPEN
    alarm_policy: AlarmPolicy = AlarmPolicy()
    alarm_level: int = 0
    tenant_id: str = ""             # the console's tenant (registry), "" until it placed the account

    @property
    def accrues(self) -> bool:
        """Month-end and post-paid accounts collect charges for a bill instead of paying each one."""
        return self.settlement is Settlement.MONTH_END or self.mode is AccountMode.POSTPAID


def wallets_of(account_id: str, separate_water: bool) -> list[LedgerAccountId]:
    purses = (Purse.ELECTRICITY, Purse.WATER) if separate_water else (Purse.ELECTRICITY,)
    return [LedgerAccountId.tenant_wallet(account_id, purse) for purse in purses]


@dataclass(frozen=True)
class AccountSummary:
    """An account as callers see it: its state, balances and meters (read-only)."""

    account: Account
    balance_fen: int
    water_balance_fen: int          # 0 without a separate water purse
    meter_ids: tuple[str, ...]


@dataclass(frozen=True)
class OwnershipChange:
    change_id: str
    account_id: str
    old_tenant_name: str
    new_tenant_name: str
    settled_fen: int


@dataclass(frozen=True)
class Payment:
    """Money received for an account through a channel (a recharge, or a paid order)."""

    transfer_id: TransferId
    paid_fen: int
    channel: Channel
    purse: Purse
    reference: str
    order_id: str | None = None


@dataclass
class Wallet:
    ledger: LedgerAccountId
    balance_fen: int


class LockedAccount:
    """An account locked in this transaction, with its wallets: the only account that may change."""

    def __init__(self, account: Account, wallets: Iterable[Wallet]) -> None:
        self._account = account
        self._wallets = {w.ledger.purse: w for w in wallets}

    @property
    def state(self) -> Account:
        return self._account

    @property
    def account_id(self) -> str:
        return self._account.account_id

    @property
    def project_id(self) -> str:
        return self._account.project_id

    @property
    def ledger_ids(self) -> tuple[LedgerAccountId, ...]:
        return tuple(w.ledger for w in self._wallets.values())

    def ensure_open(self) -> None:
        if self._account.status is not AccountStatus.OPEN:
            raise AccountClosed(f"account {self.account_id!r} is closed")

    def wallet(self, purse: Purse) -> LedgerAccountId:
        """Water money is kept apart only where the account has a water purse."""
        return self._wallet(purse).ledger

    def balance_fen(self, purse: Purse = Purse.ELECTRICITY) -> int:
        return self._wallet(purse).balance_fen

    def _wallet(self, purse: Purse) -> Wallet:
        return self._wallets.get(purse) or self._wallets[Purse.ELECTRICITY]

    def apply_posted(self, transfer: Transfer) -> None:
        """Move the in-memory balances by a transfer the ledger has just posted."""
        for wallet in self._wallets.values():
            if wallet.ledger == transfer.debit:
                wallet.balance_fen -= transfer.amount_fen
            if wallet.ledger == transfer.credit:
                wallet.balance_fen += transfer.amount_fen

    # ---- money in and out ----
    def opening_deposit(self, amount_fen: int) -> Transfer:
        return Transfer(TransferId.opening(self.account_id), CASH_CLEARING, self.wallet(Purse.ELECTRICITY),
                        amount_fen, TransferKind.OPENING)

    def credit_payment(self, payment: Payment, fee_ratio: Decimal) -> list[Transfer]:
        """售电/售水: credited = paid x (1 - fee ratio), the fee to its own account."""
        if payment.paid_fen <= 0:
            raise InvalidTransfer(f"amount must be a positive whole number of fen, got {payment.paid_fen!r}")
        fee = service_fee_fen(payment.paid_fen, fee_ratio)
        clearing = clearing_account(payment.channel)
        legs = [Transfer(payment.transfer_id, clearing, self.wallet(payment.purse), payment.paid_fen - fee,
                         TransferKind.RECHARGE, reference=payment.reference[:200], order_id=payment.order_id)]
        if fee:
            legs.append(Transfer(payment.transfer_id.fee_leg(), clearing, FEE_INCOME, fee, TransferKind.SERVICE_FEE,
                                 reference=payment.transfer_id.key[:200], owner_account_id=self.account_id,
                                 order_id=payment.order_id))
        return legs

    def refund(self, transfer_id: TransferId, amount_fen: int, channel: str, purse: Purse, reference: str,
               retry: bool) -> Transfer:
        """退电/退水: never more than the balance (a retry of a posted refund is checked by the ledger)."""
        if not retry and amount_fen > self.balance_fen(purse):
            raise RefundExceedsBalance(f"a refund cannot exceed the balance: refund {transfer_id.key!r} "
                                       f"of account {self.account_id!r}")
        return Transfer(transfer_id, self.wallet(purse), clearing_account(parse_channel(channel)), amount_fen,
                        TransferKind.REFUND, reference=reference[:200])

    def close_out(self, channel: str) -> list[Transfer]:
        """销户: what is left in each purse is paid back; refused while the account owes."""
        legs = []
        for purse in Purse:
            wallet = self._wallets.get(purse)
            if wallet is None:
                continue
            if wallet.balance_fen < 0:
                raise AccountInDebt(f"account {self.account_id!r} owes {-wallet.balance_fen} fen; "
                                    "settle it before closing")
            if wallet.balance_fen:
                legs.append(Transfer(TransferId.closing(self.account_id, purse), wallet.ledger,
                                     clearing_account(parse_channel(channel)), wallet.balance_fen,
                                     TransferKind.CLOSING))
        return legs

    def pay_out_to_old_owner(self, change_id: str) -> Transfer | None:
        """过户 with settlement: the old owner takes what is left (nothing when the wallet is empty or owes)."""
        balance = self.balance_fen()
        if balance <= 0:
            return None
        return Transfer(TransferId.ownership(change_id), self.wallet(Purse.ELECTRICITY), CASH_CLEARING, balance,
                        TransferKind.REFUND, reference=f"paid to {self._account.tenant_name}"[:200])

    def move_balance_to(self, other: LockedAccount, transfer_id: TransferId) -> Transfer | None:
        """换表 into a meter with its own wallet: the money follows the meter."""
        balance = self.balance_fen()
        if balance <= 0:
            return None
        return Transfer(transfer_id, self.wallet(Purse.ELECTRICITY), other.wallet(Purse.ELECTRICITY), balance,
                        TransferKind.MOVE)

    def charge(self, charge: PostCharge) -> Transfer | Accrual:
        """扣费: a real-time account pays the charge now; month-end and post-paid ones accrue it."""
        if self._account.accrues:
            return Accrual(charge.charge_id, self.account_id, charge.period, charge.purse, charge.amount_fen)
        return Transfer(TransferId.charge(charge.charge_id), self.wallet(charge.purse), revenue_account(charge.purse),
                        charge.amount_fen, TransferKind.USAGE_CHARGE, reference=charge.meter_id,
                        charge_id=charge.charge_id)

    def bill_for(self, period: str, totals_fen: Mapping[Purse, int]) -> Bill:
        """The period's accrued charges as one bill: post-paid waits for staff, prepaid is issued at once."""
        status = BillStatus.DRAFT if self._account.mode is AccountMode.POSTPAID else BillStatus.ISSUED
        return Bill(bill_id_of(self.account_id, period), self.account_id, period,
                    totals_fen.get(Purse.ELECTRICITY, 0), totals_fen.get(Purse.WATER, 0), status)

    def bill_legs(self, bill: Bill) -> list[Transfer]:
        amounts = ((Purse.ELECTRICITY, bill.electricity_fen), (Purse.WATER, bill.water_fen))
        return [Transfer(TransferId.bill(bill.bill_id, purse), self.wallet(purse), revenue_account(purse), amount,
                         TransferKind.SETTLEMENT, reference=bill.bill_id)
                for purse, amount in amounts if amount > 0]

    # ---- supply rules ----
    def supply_due(self, balance_fen: int) -> bool:
        """Whether the balance crosses the cut-off or changes the alarm level. Post-paid accounts are
        never cut for their balance: they owe a bill, not a prepayment."""
        a = self._account
        if a.mode is AccountMode.POSTPAID:
            return False
        return (supply_change(a.in_arrears, balance_fen, a.cutoff_fen) is not None
                or a.alarm_policy.level(balance_fen) != a.alarm_level)

    def review_supply(self, balance_fen: int, meter_ids: Sequence[str], cause: str,
                      now: datetime) -> list[AccountEvent]:
        """Arrears / recovery (F-26) and alarm levels (F-25) after money moved, one event per transition."""
        if not self.supply_due(balance_fen):
            return []
        a = self._account
        change = supply_change(a.in_arrears, balance_fen, a.cutoff_fen)
        level = a.alarm_policy.level(balance_fen)
        common = dict(account_id=self.account_id, meter_ids=tuple(meter_ids), balance_fen=balance_fen,
                      alarm_level=level, transfer_id=cause, occurred_at=now)
        events: list[AccountEvent] = []
        if level != a.alarm_level:
            events.append(AlarmLevelReached(**common, repeat_count=a.alarm_policy.repeat_count(level)))
        if change is SupplyChange.ARREARS:
            events.append(FellIntoArrears(**common))
        elif change is SupplyChange.RECOVERED:
            events.append(RecoveredFromArrears(**common))
        in_arrears = a.in_arrears if change is None else change is SupplyChange.ARREARS
        self._account = replace(a, in_arrears=in_arrears, alarm_level=level)
        return events

    def recharged(self, balance_fen: int, meter_ids: Sequence[str], cause: str, now: datetime) -> Recharged:
        return Recharged(self.account_id, tuple(meter_ids), balance_fen, self._account.alarm_level, cause, now)

    # ---- state ----
    def rename(self, tenant_name: str) -> None:
        self._account = replace(self._account, tenant_name=tenant_name)

    def close(self) -> None:
        self._account = replace(self._account, status=AccountStatus.CLOSED)

    def place(self, project_id: str, tenant_id: str) -> None:
        """Where the console's registry put the account; an empty value leaves what is there."""
        self._account = replace(self._account, project_id=project_id or self._account.project_id,
                                tenant_id=tenant_id or self._account.tenant_id)

    def set_alarm_policy(self, policy: AlarmPolicy) -> None:
        self._account = replace(self._account, alarm_policy=policy)

    def set_settlement(self, settlement: Settlement) -> None:
        self._account = replace(self._account, settlement=settlement)
