"""CJ/T 188-2004 (户用计量仪表数据传输技术条件) water meter frames; no I/O.

Frame: [FE..FE] 68 T A0..A6 C L DATA CS 16
- T: meter type (0x10 cold water, 0x11 hot water, ...);
- address: 14 BCD digits, least significant byte first;
- C: bit 7 direction (1 = reply), bit 6 error reply, low 6 bits the function
  (0x01 read data, 0x04 write data); a normal read reply is 0x81;
- DATA: DI0 DI1 SER then the values, no byte offset (unlike DL/T 645);
- CS: sum of the bytes from 68 to the end of DATA, modulo 256.

Glossary: 累积流量 = cumulative volume, 阀门 = valve, 开阀 = open valve, 关阀 = close valve.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.acquisition.domain import bcd, frames

FUNCTION_READ, FUNCTION_WRITE = 0x01, 0x04
METER_TYPE_COLD_WATER = 0x10
DI_CURRENT_VOLUME = 0x901F   # read: cumulative volume, settlement-day volume, clock, status
DI_VALVE = 0xA017            # write: 0x55 open, 0x99 close
VALVE_OPEN, VALVE_CLOSE = 0x55, 0x99
UNIT_LITRE_PER_UNIT = {0x2C: 10, 0x2B: 1, 0x2A: 0, 0x29: 0}  # 0x2C: 0.01 m3 = 10 L; 0x2B: L (0.001 m3)
VOLUME_MODULUS = 10**8       # XXXXXX.XX in 4 BCD bytes rolls over here
MAX_DATA_BYTES = 100
ADDRESS_DIGITS = 14


class FrameError(frames.FrameError):
    """Bytes that are not a well-formed CJ/T 188 frame."""


class MeterRefused(frames.MeterRefused):
    """The meter answered with an error reply."""


@dataclass(frozen=True)
class Frame(frames.ControlByte):
    meter_type: int
    address: str      # 14 decimal digits
    control: int
    data: bytes

    function_mask = 0x3F


# 68 T A0..A6 C L: the length is the eleventh byte
FORMAT = frames.FrameFormat("CJ/T 188", header_bytes=11, max_data_bytes=MAX_DATA_BYTES, error=FrameError)


def bcd_decode(raw: bytes) -> int:
    return bcd.decode(raw, FrameError)


def address_bytes(address: str) -> bytes:
    return frames.address_bytes(FORMAT, address, ADDRESS_DIGITS, bcd.encode)


def encode(frame: Frame, preamble: int = 2) -> bytes:
    if not 0 <= frame.meter_type <= 0xFF:
        raise ValueError(f"meter type {frame.meter_type} is not a byte")
    header = bytes([frame.meter_type]) + address_bytes(frame.address) + bytes([frame.control])
    return frames.wrap(FORMAT, header, frame.data, preamble)


def decode(raw: bytes) -> Frame:
    return frames.only_frame(FORMAT, raw, split_frame)


def split_frame(buffer: bytes) -> tuple[Frame | None, bytes]:
    """Take the first frame off a byte stream: (frame, rest), or (None, buffer) when incomplete."""
    body, rest = frames.cut(FORMAT, buffer)
    if body is None:
        return None, buffer
    address = f"{bcd_decode(body[2:9]):014d}"
    return Frame(body[1], address, body[9], body[11:]), rest


# --------------------------------------------------------------------------- requests and replies


def read_request(address: str, serial: int, meter_type: int = METER_TYPE_COLD_WATER) -> bytes:
    data = DI_CURRENT_VOLUME.to_bytes(2, "big") + bytes([serial & 0xFF])
    return encode(Frame(meter_type, address, FUNCTION_READ, data))


def valve_request(address: str, serial: int, close: bool, meter_type: int = METER_TYPE_COLD_WATER) -> bytes:
    data = DI_VALVE.to_bytes(2, "big") + bytes([serial & 0xFF, VALVE_CLOSE if close else VALVE_OPEN])
    return encode(Frame(meter_type, address, FUNCTION_WRITE, data))


@dataclass(frozen=True)
class WaterReading:
    volume_l: int
    settlement_volume_l: int
    valve_closed: bool
    valve_fault: bool
    battery_low: bool
    status: int


def decode_read_reply(frame: Frame, address: str, serial: int) -> WaterReading:
    """DI0 DI1 SER, volume (4 BCD + unit), settlement-day volume (4 BCD + unit), clock (7), ST (2)."""
    _check_reply(frame, address, FUNCTION_READ, serial)
    if frame.data[:2] != DI_CURRENT_VOLUME.to_bytes(2, "big"):
        raise FrameError(f"reply is for DI {frame.data[:2].hex()}, asked {DI_CURRENT_VOLUME:04x}")
    if len(frame.data) < 22:
        raise FrameError(f"read reply needs 22 data bytes, got {len(frame.data)}")
    status = int.from_bytes(frame.data[20:22], "little")
    return WaterReading(
        volume_l=_volume_l(frame.data[3:8]), settlement_volume_l=_volume_l(frame.data[8:13]),
        valve_closed=(status & 0x03) == 0x01, valve_fault=(status & 0x03) == 0x03,
        battery_low=bool(status & 0x04), status=status)


def check_valve_reply(frame: Frame, address: str, serial: int) -> None:
    _check_reply(frame, address, FUNCTION_WRITE, serial)


def _volume_l(raw: bytes) -> int:
    unit = raw[4]
    if unit not in UNIT_LITRE_PER_UNIT or UNIT_LITRE_PER_UNIT[unit] == 0:
        raise FrameError(f"volume unit {unit:#04x} is not one this platform reads (0x2C m3 or 0x2B L)")
    return bcd_decode(raw[:4]) * UNIT_LITRE_PER_UNIT[unit]


def _check_reply(frame: Frame, address: str, function: int, serial: int) -> None:
    frames.check_reply_to(FORMAT, frame, address, function)
    if frame.is_error:
        code = frame.data[-1] if frame.data else 0
        raise MeterRefused(f"water meter {address} refused (status {code:#04x})")
    if len(frame.data) < 3 or frame.data[2] != serial & 0xFF:
        raise FrameError(f"reply serial does not match request serial {serial & 0xFF}")
