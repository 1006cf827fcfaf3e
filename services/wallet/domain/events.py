"""What the wallet publishes (wallet.events.v1, key = account id): one event per transition.

Every event carries the account's meters (control switches them), the balance that caused
it, the alarm level the account is at, and the transfer (or change) that caused it, from
which its event id is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from services.wallet.domain.ledger import SupplyChange


@dataclass(frozen=True)
class AccountEvent:
    account_id: str
    meter_ids: tuple[str, ...]
    balance_fen: int
    alarm_level: int
    transfer_id: str           # the transfer, or the change, that caused it
    occurred_at: datetime


@dataclass(frozen=True)
class FellIntoArrears(AccountEvent):
    """欠费: the balance reached the cut-off; supply is to be cut (F-26)."""

    change: ClassVar[SupplyChange] = SupplyChange.ARREARS


@dataclass(frozen=True)
class RecoveredFromArrears(AccountEvent):
    """The balance is above the cut-off again; supply is to be restored (F-26)."""

    change: ClassVar[SupplyChange] = SupplyChange.RECOVERED


@dataclass(frozen=True)
class AlarmLevelReached(AccountEvent):
    """The low-balance alarm level changed, up or down (F-25); remind the tenant repeat_count times."""

    repeat_count: int = 1


@dataclass(frozen=True)
class Recharged(AccountEvent):
    """Money was credited to the account (alarm_level: the level before the credit was reviewed)."""


@dataclass(frozen=True)
class BalanceChanged(AccountEvent):
    """The balance after money moved (one per account and transaction): what read models show between
    transitions. Carries no meters; supply never changes on it."""


def alarm_policy_cause(account_id: str, at: datetime) -> str:
    """What caused the events of a new alarm policy (no transfer did)."""
    return f"alarms:{account_id}:{at.isoformat()}"


def bill_cause(bill_id: str) -> str:
    """What caused the events of a posted bill (its legs are one transfer per purse)."""
    return f"bill:{bill_id}"
