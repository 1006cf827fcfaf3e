"""Field commands (F-40, F-41): which actions each protocol supports, the settings a push writes,
and how the state read back confirms an action. 拉闸 = trip, 合闸 = close, 保电 = power guarantee,
关阀/开阀 = close/open valve, 电价下发 = price push, 阈值下发 = threshold push."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import TYPE_CHECKING

from services.acquisition.domain.errors import InvalidSetting, UnsupportedAction
from services.acquisition.domain.registry import MeterProtocol
from services.acquisition.domain.samples import Sample

if TYPE_CHECKING:
    from services.acquisition.domain.commands import SettingRequest


class ControlAction(IntEnum):
    """Mirrors meterpay.v1.ControlAction. Open like a protobuf enum: a number this service does not know
    (a newer sender) is kept as a pseudo-member, which no protocol supports."""

    UNSPECIFIED = 0
    TRIP = 1
    CLOSE = 2
    GUARANTEE_ON = 3
    GUARANTEE_OFF = 4
    VALVE_CLOSE = 5
    VALVE_OPEN = 6
    PRICE_PUSH = 7
    THRESHOLD_PUSH = 8
    READ_NOW = 9

    @classmethod
    def _missing_(cls, value: object) -> ControlAction | None:
        if not isinstance(value, int):
            return None
        unknown = int.__new__(cls, value)
        unknown._name_, unknown._value_ = f"UNKNOWN_{value}", value
        return unknown


class ControlOutcome(IntEnum):
    """Mirrors meterpay.v1.ControlOutcome."""

    CONFIRMED = 1   # the state read back is what was asked
    FAILED = 2


A = ControlAction
SUPPORTED = {
    MeterProtocol.MODBUS: {A.TRIP, A.CLOSE, A.GUARANTEE_ON, A.GUARANTEE_OFF, A.PRICE_PUSH, A.THRESHOLD_PUSH,
                           A.READ_NOW},
    MeterProtocol.DLT645: {A.TRIP, A.CLOSE, A.GUARANTEE_ON, A.GUARANTEE_OFF, A.READ_NOW},
    # A water meter's supply switch is its valve: trip/close mean close/open the valve.
    MeterProtocol.CJT188: {A.VALVE_CLOSE, A.VALVE_OPEN, A.TRIP, A.CLOSE, A.READ_NOW},
}
PRICE_SCALE = 10_000  # price registers hold 0.0001 yuan
U32_MAX = 2**32 - 1


def check_supported(protocol: MeterProtocol, action: ControlAction) -> None:
    if action not in SUPPORTED.get(protocol, set()):
        raise UnsupportedAction(f"协议 {protocol} 不支持该命令 / action {action} is not supported by {protocol} meters")


def closes_valve(action: ControlAction) -> bool:
    return action in (A.VALVE_CLOSE, A.TRIP)


@dataclass(frozen=True)
class SettingValues:
    """Settings registers to write (None: leave as is): price in 0.0001 yuan, alarms in fen, overload in W."""

    price_ten_thousandths: int | None = None
    alarm1_fen: int | None = None
    alarm2_fen: int | None = None
    overload_w: int | None = None

    def registers(self) -> dict[int, int]:
        """{register offset from 0x0030: u32 value} for every value to write."""
        pairs = {0: self.price_ten_thousandths, 2: self.alarm1_fen, 4: self.alarm2_fen, 6: self.overload_w}
        return {offset: value for offset, value in pairs.items() if value is not None}


def price_setting(price_yuan: str) -> SettingValues:
    try:
        price = Decimal(price_yuan)
    except InvalidOperation:
        raise InvalidSetting(f"price {price_yuan!r} is not a decimal number") from None
    scaled = price * PRICE_SCALE
    if price < 0 or scaled != scaled.to_integral_value() or scaled > U32_MAX:
        raise InvalidSetting(f"price {price_yuan!r} must be 0..429496.7295 with at most 4 decimals")
    return SettingValues(price_ten_thousandths=int(scaled))


def threshold_setting(alarm1_fen: int, alarm2_fen: int, overload_w: int) -> SettingValues:
    values = [v or None for v in (alarm1_fen, alarm2_fen, overload_w)]
    if all(v is None for v in values):
        raise InvalidSetting("a threshold push needs at least one of alarm1_fen, alarm2_fen, overload_w")
    if any(v is not None and not 0 < v <= U32_MAX for v in values):
        raise InvalidSetting("thresholds must be positive and fit 32 bits")
    return SettingValues(alarm1_fen=values[0], alarm2_fen=values[1], overload_w=values[2])


def settings_for(action: ControlAction, request: SettingRequest) -> SettingValues | None:
    """The registers a price or threshold push writes (InvalidSetting when they cannot hold the values)."""
    if action == A.PRICE_PUSH:
        return price_setting(request.price_yuan)
    if action == A.THRESHOLD_PUSH:
        return threshold_setting(request.alarm1_fen, request.alarm2_fen, request.overload_w)
    return None


def settings_confirmed(wanted: SettingValues, read_back: list[int]) -> tuple[bool, str]:
    for offset, value in wanted.registers().items():
        got = (read_back[offset] << 16) | read_back[offset + 1]
        if got != value:
            return False, f"setting at +{offset} reads {got}, wrote {value}"
    return True, "settings read back as written"


def confirm(action: ControlAction, after: Sample) -> tuple[bool, str]:
    """Did the state read back after the write do what was asked? Returns (confirmed, detail)."""
    if action in (A.TRIP, A.VALVE_CLOSE):
        if after.supply_cut:
            return True, "supply cut (relay open / valve closed)"
        if after.power_guarantee:
            return False, "meter in power guarantee refused the trip"
        return False, "supply still on"
    if action in (A.CLOSE, A.VALVE_OPEN):
        return (not after.supply_cut, "supply on" if not after.supply_cut else "supply still cut")
    if action == A.GUARANTEE_ON:
        return after.power_guarantee, "power guarantee on" if after.power_guarantee else "guarantee flag not set"
    if action == A.GUARANTEE_OFF:
        return (not after.power_guarantee, "power guarantee off" if not after.power_guarantee else "flag still set")
    if action == A.READ_NOW:
        return True, "read"
    if action in (A.PRICE_PUSH, A.THRESHOLD_PUSH):
        return True, "settings confirmed"  # compared register by register before this (settings_confirmed)
    raise UnsupportedAction(f"no confirmation rule for action {action}")
