"""What an operator's request does to a meter: the mode it leaves and the field command it needs.

An operation on one meter is one "item": the field command whose outcome says whether
the operation reached the meter. Mode changes are recorded first, so the automatic
policy (policy.py) keeps the meter in the new mode afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation as BadDecimal
from enum import IntEnum

from services.control.domain.errors import InvalidOperation
from services.control.domain.policy import Action, Kind, Mode

MAX_BATCH_METERS = 5000  # one batch never expands into more commands than this
MAX_REASON_CHARS = 200
MAX_REQUEST_ID_CHARS = 64
MAX_METER_ID_CHARS = 64


class Operation(IntEnum):
    """Numerically equal to meterpay.v1.Operation."""

    FORCED_OFF = 1
    RESTORE_PREPAID = 2
    POWER_GUARANTEE_ON = 3
    POWER_GUARANTEE_OFF = 4
    PRICE_PUSH = 5
    THRESHOLD_PUSH = 6
    READ_NOW = 7


@dataclass(frozen=True)
class Settings:
    price_yuan: str = ""
    overload_w: int = 0
    alarm1_fen: int = 0
    alarm2_fen: int = 0

    def is_empty(self) -> bool:
        return not (self.price_yuan or self.overload_w or self.alarm1_fen or self.alarm2_fen)


@dataclass(frozen=True)
class Plan:
    """What to do on one meter: the mode to set (None = keep), commands to send first, the item command."""

    new_mode: Mode | None
    before: tuple[Action, ...]
    item: Action
    clears_overload: bool = False


def plan_operation(operation: Operation, current_mode: Mode, kind: Kind) -> Plan:
    """Mode changes carry the field command that makes the device agree (its guarantee flag, its relay)."""
    leaving_guarantee = (Action.POWER_GUARANTEE_OFF,) if current_mode is Mode.POWER_GUARANTEE else ()
    cut = Action.VALVE_CLOSE if kind is Kind.WATER else Action.TRIP
    if operation is Operation.FORCED_OFF:
        return Plan(Mode.FORCED_OFF, leaving_guarantee, cut)
    if operation in (Operation.RESTORE_PREPAID, Operation.POWER_GUARANTEE_OFF):
        # The device's guarantee flag is cleared either way; the policy then closes or cuts.
        return Plan(Mode.PREPAID, (), Action.POWER_GUARANTEE_OFF, clears_overload=True)
    if operation is Operation.POWER_GUARANTEE_ON:
        return Plan(Mode.POWER_GUARANTEE, (), Action.POWER_GUARANTEE_ON, clears_overload=True)
    if operation is Operation.PRICE_PUSH:
        return Plan(None, (), Action.PRICE_PUSH)
    if operation is Operation.THRESHOLD_PUSH:
        return Plan(None, (), Action.THRESHOLD_PUSH)
    if operation is Operation.READ_NOW:
        return Plan(None, (), Action.READ_NOW)
    raise InvalidOperation(f"未知操作 unknown operation {operation!r}")


def check_request(operation: int, settings: Settings) -> Operation:
    """Refuse what cannot be sent: an unknown operation, a push without values, a bad price."""
    try:
        op = Operation(operation)
    except ValueError:
        raise InvalidOperation(f"未知操作 unknown operation {operation}") from None
    if op is Operation.PRICE_PUSH:
        _check_price(settings.price_yuan)
    if op is Operation.THRESHOLD_PUSH:
        if settings.overload_w < 0 or settings.alarm1_fen < 0 or settings.alarm2_fen < 0:
            raise InvalidOperation("阈值不能为负 thresholds cannot be negative")
        if not (settings.overload_w or settings.alarm1_fen or settings.alarm2_fen):
            raise InvalidOperation("阈值下发需要至少一个值 a threshold push needs at least one value")
    return op


def _check_price(price_yuan: str) -> None:
    try:
        price = Decimal(price_yuan)
    except (BadDecimal, ValueError):
        raise InvalidOperation(f"电价格式错误 price {price_yuan!r} is not a decimal number") from None
    if not price.is_finite() or price <= 0 or price > 100:
        raise InvalidOperation(f"电价超出范围 price {price_yuan!r} is outside 0..100 yuan")


def check_request_id(request_id: str) -> None:
    """A request or batch id is the caller's idempotency key: 1..64 characters."""
    if not request_id or len(request_id) > MAX_REQUEST_ID_CHARS:
        raise InvalidOperation(f"请求号/批次号为 1..{MAX_REQUEST_ID_CHARS} 个字符 "
                               f"a request or batch id has 1..{MAX_REQUEST_ID_CHARS} characters")


def check_meter_id(meter_id: str) -> None:
    if not meter_id or len(meter_id) > MAX_METER_ID_CHARS:
        raise InvalidOperation(f"需要表号 a meter id (1..{MAX_METER_ID_CHARS} characters) is required")
