"""What callers ask the wallet to do: one frozen dataclass per use case that changes something.

Channels and purses stay the text the caller sent; the rules parse them where they apply
(an unknown channel is refused as InvalidTransfer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from services.wallet.domain.accounts import AccountMode, AlarmPolicy, Settlement
from services.wallet.domain.ledger import Purse


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
class PlaceAccount:
    """The console's registry: an account belongs to a tenant in a property (the project)."""

    account_id: str
    tenant_id: str
    property_id: str
    placed_at: datetime


@dataclass(frozen=True)
class PlaceMeter:
    """The console's registry: a meter was placed in a room of a property (the project)."""

    meter_id: str
    property_id: str
    placed_at: datetime


@dataclass(frozen=True)
class CloseAccount:
    account_id: str
    channel: str = "cash"


@dataclass(frozen=True)
class TransferOwnership:
    change_id: str
    account_id: str
    new_tenant_name: str
    settle_to_old_owner: bool


@dataclass(frozen=True)
class ReplaceMeter:
    old_meter_id: str
    new_meter_id: str


@dataclass(frozen=True)
class SetAlarmPolicy:
    account_id: str
    policy: AlarmPolicy


@dataclass(frozen=True)
class SetSettlement:
    account_id: str
    settlement: Settlement


@dataclass(frozen=True)
class SetFeeRatio:
    project_id: str
    ratio: Decimal


@dataclass(frozen=True)
class PostCharge:
    """扣费: one priced interval of a meter's use, to be debited (or accrued) once."""

    charge_id: str
    meter_id: str
    amount_fen: int
    period: str
    purse: Purse = Purse.ELECTRICITY


def split_chargeable(charges: list[PostCharge]) -> tuple[list[PostCharge], list[PostCharge]]:
    """(charges that move money, negative charges refused); a zero charge moves nothing and is dropped."""
    return [c for c in charges if c.amount_fen > 0], [c for c in charges if c.amount_fen < 0]


@dataclass(frozen=True)
class Recharge:
    transfer_id: str
    account_id: str
    amount_fen: int
    channel: str
    operator: str = ""
    purse: str = "electricity"


@dataclass(frozen=True)
class Refund:
    transfer_id: str
    account_id: str
    amount_fen: int
    channel: str = "cash"
    purse: str = "electricity"
    operator: str = ""


@dataclass(frozen=True)
class Reverse:
    transfer_id: str
    reason: str = ""


@dataclass(frozen=True)
class CreatePaymentOrder:
    order_id: str
    account_id: str
    channel: str
    amount_fen: int
    purse: str = "electricity"


@dataclass(frozen=True)
class SettlePeriod:
    account_id: str
    period: str


@dataclass(frozen=True)
class ConfirmBill:
    bill_id: str
    operator: str = ""
