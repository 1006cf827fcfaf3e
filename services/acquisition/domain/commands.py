"""Field commands (F-40, F-41): what each protocol writes for an action, and how the state read
back confirms it. 拉闸 = trip, 合闸 = close, 保电 = power guarantee, 关阀/开阀 = close/open valve,
电价下发 = price push, 阈值下发 = threshold push."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from services.acquisition.domain.samples import Sample

# Mirrors meterpay.v1.ControlAction; kept numeric here so the domain imports no generated code.
ACTION_TRIP, ACTION_CLOSE, ACTION_GUARANTEE_ON, ACTION_GUARANTEE_OFF = 1, 2, 3, 4
ACTION_VALVE_CLOSE, ACTION_VALVE_OPEN, ACTION_PRICE_PUSH, ACTION_THRESHOLD_PUSH, ACTION_READ_NOW = 5, 6, 7, 8, 9

SUPPORTED = {
    "modbus": {ACTION_TRIP, ACTION_CLOSE, ACTION_GUARANTEE_ON, ACTION_GUARANTEE_OFF, ACTION_PRICE_PUSH,
               ACTION_THRESHOLD_PUSH, ACTION_READ_NOW},
    "dlt645": {ACTION_TRIP, ACTION_CLOSE, ACTION_GUARANTEE_ON, ACTION_GUARANTEE_OFF, ACTION_READ_NOW},
    # A water meter's supply switch is its valve: trip/close mean close/open the valve.
    "cjt188": {ACTION_VALVE_CLOSE, ACTION_VALVE_OPEN, ACTION_TRIP, ACTION_CLOSE, ACTION_READ_NOW},
}
PRICE_SCALE = 10_000  # price registers hold 0.0001 yuan
U32_MAX = 2**32 - 1


class UnsupportedAction(ValueError):
    pass


def check_supported(protocol: str, action: int) -> None:
    if action not in SUPPORTED.get(protocol, set()):
        raise UnsupportedAction(f"协议 {protocol} 不支持该命令 / action {action} is not supported by {protocol} meters")


def closes_valve(action: int) -> bool:
    return action in (ACTION_VALVE_CLOSE, ACTION_TRIP)


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
        raise ValueError(f"price {price_yuan!r} is not a decimal number") from None
    scaled = price * PRICE_SCALE
    if price < 0 or scaled != scaled.to_integral_value() or scaled > U32_MAX:
        raise ValueError(f"price {price_yuan!r} must be 0..429496.7295 with at most 4 decimals")
    return SettingValues(price_ten_thousandths=int(scaled))


def threshold_setting(alarm1_fen: int, alarm2_fen: int, overload_w: int) -> SettingValues:
    values = [v or None for v in (alarm1_fen, alarm2_fen, overload_w)]
    if all(v is None for v in values):
        raise ValueError("a threshold push needs at least one of alarm1_fen, alarm2_fen, overload_w")
    if any(v is not None and not 0 < v <= U32_MAX for v in values):
        raise ValueError("thresholds must be positive and fit 32 bits")
    return SettingValues(alarm1_fen=values[0], alarm2_fen=values[1], overload_w=values[2])


def settings_confirmed(wanted: SettingValues, read_back: list[int]) -> tuple[bool, str]:
    for offset, value in wanted.registers().items():
        got = (read_back[offset] << 16) | read_back[offset + 1]
        if got != value:
            return False, f"setting at +{offset} reads {got}, wrote {value}"
    return True, "settings read back as written"


def confirm(action: int, after: Sample) -> tuple[bool, str]:
    """Did the state read back after the write do what was asked? Returns (confirmed, detail)."""
    if action in (ACTION_TRIP, ACTION_VALVE_CLOSE):
        if after.supply_cut:
            return True, "supply cut (relay open / valve closed)"
        if after.power_guarantee:
            return False, "meter in power guarantee refused the trip"
        return False, "supply still on"
    if action in (ACTION_CLOSE, ACTION_VALVE_OPEN):
        return (not after.supply_cut, "supply on" if not after.supply_cut else "supply still cut")
    if action == ACTION_GUARANTEE_ON:
        return after.power_guarantee, "power guarantee on" if after.power_guarantee else "guarantee flag not set"
    if action == ACTION_GUARANTEE_OFF:
        return (not after.power_guarantee, "power guarantee off" if not after.power_guarantee else "flag still set")
    if action == ACTION_READ_NOW:
        return True, "read"
    if action in (ACTION_PRICE_PUSH, ACTION_THRESHOLD_PUSH):
        return True, "settings confirmed"  # compared register by register before this (settings_confirmed)
    raise UnsupportedAction(f"no confirmation rule for action {action}")
