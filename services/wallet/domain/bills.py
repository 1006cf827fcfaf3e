"""Month-end settlement and post-paid bills (F-24, F-34): charges accrue, a bill posts them at once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.wallet.domain.ledger import Purse


class BillStatus(StrEnum):
    DRAFT = "draft"            # computed, waiting for staff
    ISSUED = "issued"          # confirmed by staff and posted to the ledger


def bill_id_of(account_id: str, period: str) -> str:
    """One bill per account and period, so settling again finds the same bill."""
    return f"{account_id}:{period}"


@dataclass(frozen=True)
class Accrual:
    """A usage charge of a month-end or post-paid account, kept for the period's bill."""

    charge_id: str
    account_id: str
    period: str
    purse: Purse
    amount_fen: int


@dataclass(frozen=True)
class Bill:
    bill_id: str
    account_id: str
    period: str
    electricity_fen: int
    water_fen: int
    status: BillStatus
    confirmed_by: str = ""


@dataclass(frozen=True)
class LockedBill(Bill):
    """A bill whose row this transaction holds FOR UPDATE: the only bill that may be issued."""
