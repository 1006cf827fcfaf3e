"""Account rules: modes, settlement, balance alarm levels.

Glossary: 预付费 = prepaid; 后付费 = post-paid; 实时扣费 = real-time deduction;
月末结算 = month-end settlement; 报警1/报警2/报警3 = alarm levels 1..3; 账单 = bill.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.wallet.domain.ledger import InvalidTransfer

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


class BillStatus(StrEnum):
    DRAFT = "draft"            # computed, waiting for staff
    ISSUED = "issued"          # confirmed by staff and posted to the ledger


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
