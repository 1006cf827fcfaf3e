"""What the wallet's use cases answer, beyond a plain count or flag."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.wallet.domain.bills import BillStatus


@dataclass(frozen=True)
class MoneyPosted:
    """A recharge or refund: the wallet's balance after it, and whether its id had been posted already."""

    transfer_id: str
    balance_fen: int
    duplicate: bool


@dataclass(frozen=True)
class ReversalPosted:
    reversal_transfer_id: str
    duplicate: bool


@dataclass(frozen=True)
class BillSettled:
    bill_id: str
    status: BillStatus


@dataclass(frozen=True)
class Reconciliation:
    ok: bool
    total_debits_fen: int
    total_credits_fen: int
    accounts_checked: int
    problems: list[str] = field(default_factory=list)
