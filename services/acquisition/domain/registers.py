"""The prepaid meter's Modbus register map (docs/register-map.md), decoded without any I/O.

Glossary: 集中抄表 = central reading (poll); 拉闸 = trip; 合闸 = close; 保电 = power guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

READ_START = 0x0000
READ_COUNT = 0x15  # 0x0000 .. 0x0014 in one request: one bus round trip per meter
CONTROL_REGISTER = 0x0020


class ControlCode(IntEnum):
    TRIP = 0x0001
    CLOSE = 0x0002
    POWER_GUARANTEE_ON = 0x0003
    POWER_GUARANTEE_OFF = 0x0004


class MalformedRegisters(ValueError):
    """The device answered with fewer registers than the map needs."""


@dataclass(frozen=True)
class RegisterSnapshot:
    total_wh: int
    sharp_wh: int
    peak_wh: int
    flat_wh: int
    valley_wh: int
    deep_valley_wh: int
    reverse_wh: int
    voltage_dv: int
    current_ca: int
    power_w: int
    power_factor_milli: int
    relay_open: bool
    power_guarantee: bool


def _u32(regs: list[int], at: int) -> int:
    return (regs[at] << 16) | regs[at + 1]


def _s32(regs: list[int], at: int) -> int:
    value = _u32(regs, at)
    return value - (1 << 32) if value & 0x8000_0000 else value


def decode_snapshot(regs: list[int]) -> RegisterSnapshot:
    """Turn the 21 holding registers of one read into a snapshot."""
    if len(regs) < READ_COUNT:
        raise MalformedRegisters(f"expected {READ_COUNT} registers, got {len(regs)}")
    if max(regs) > 0xFFFF or min(regs) < 0:
        raise MalformedRegisters("register value outside 0..65535")
    return RegisterSnapshot(
        total_wh=_u32(regs, 0x00), sharp_wh=_u32(regs, 0x02), peak_wh=_u32(regs, 0x04),
        flat_wh=_u32(regs, 0x06), valley_wh=_u32(regs, 0x08), deep_valley_wh=_u32(regs, 0x0A),
        reverse_wh=_u32(regs, 0x0C), voltage_dv=regs[0x0E], current_ca=regs[0x0F],
        power_w=_s32(regs, 0x10), power_factor_milli=regs[0x12],
        relay_open=regs[0x13] == 1, power_guarantee=regs[0x14] == 1,
    )
