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

from services.acquisition.domain import bcd

START, END, PREAMBLE = 0x68, 0x16, 0xFE
FUNCTION_READ, FUNCTION_WRITE = 0x01, 0x04
REPLY_BIT, ERROR_BIT = 0x80, 0x40
METER_TYPE_COLD_WATER = 0x10
DI_CURRENT_VOLUME = 0x901F   # read: cumulative volume, settlement-day volume, clock, status
DI_VALVE = 0xA017            # write: 0x55 open, 0x99 close
VALVE_OPEN, VALVE_CLOSE = 0x55, 0x99
UNIT_LITRE_PER_UNIT = {0x2C: 10, 0x2B: 1, 0x2A: 0, 0x29: 0}  # 0x2C: 0.01 m3 = 10 L; 0x2B: L (0.001 m3)
VOLUME_MODULUS = 10**8       # XXXXXX.XX in 4 BCD bytes rolls over here
MAX_DATA_BYTES = 100


class FrameError(ValueError):
    """Bytes that are not a well-formed CJ/T 188 frame."""


class MeterRefused(Exception):
    """The meter answered with an error reply."""


@dataclass(frozen=True)
class Frame:
    meter_type: int
    address: str      # 14 decimal digits
    control: int
    data: bytes

    @property
    def function(self) -> int:
        return self.control & 0x3F

    @property
    def is_reply(self) -> bool:
        return bool(self.control & REPLY_BIT)

    @property
    def is_error(self) -> bool:
        return bool(self.control & ERROR_BIT)


bcd_encode = bcd.encode


def bcd_decode(raw: bytes) -> int:
    return bcd.decode(raw, FrameError)


def address_bytes(address: str) -> bytes:
    if len(address) != 14 or not address.isdigit():
        raise ValueError(f"a CJ/T 188 address is 14 decimal digits, not {address!r}")
    return bcd_encode(int(address), 7)


def checksum(body: bytes) -> int:
    return sum(body) & 0xFF


def encode(frame: Frame, preamble: int = 2) -> bytes:
    if len(frame.data) > MAX_DATA_BYTES:
        raise ValueError(f"data of {len(frame.data)} bytes exceeds {MAX_DATA_BYTES}")
    if not 0 <= frame.meter_type <= 0xFF:
        raise ValueError(f"meter type {frame.meter_type} is not a byte")
    body = (bytes([START, frame.meter_type]) + address_bytes(frame.address)
            + bytes([frame.control, len(frame.data)]) + frame.data)
    return bytes([PREAMBLE] * preamble) + body + bytes([checksum(body), END])


def decode(raw: bytes) -> Frame:
    frame, rest = split_frame(raw)
    if frame is None:
        raise FrameError(f"incomplete frame ({len(raw)} bytes)")
    if rest.strip(bytes([PREAMBLE])):
        raise FrameError(f"{len(rest)} bytes after the end of the frame")
    return frame


def split_frame(buffer: bytes) -> tuple[Frame | None, bytes]:
    """Take the first frame off a byte stream: (frame, rest), or (None, buffer) when incomplete."""
    start = 0
    while start < len(buffer) and buffer[start] == PREAMBLE:
        start += 1
    body = buffer[start:]
    if not body:
        return None, buffer
    if body[0] != START:
        raise FrameError(f"frame starts with {body[0]:#04x}, expected 0x68")
    if len(body) < 11:
        return None, buffer
    total = 11 + body[10] + 2
    if len(body) < total:
        return None, buffer
    if body[total - 1] != END:
        raise FrameError(f"frame ends with {body[total - 1]:#04x}, expected 0x16")
    if checksum(body[:total - 2]) != body[total - 2]:
        raise FrameError(f"checksum {body[total - 2]:#04x} does not match {checksum(body[:total - 2]):#04x}")
    address = f"{bcd_decode(body[2:9]):014d}"
    return Frame(body[1], address, body[9], bytes(body[11:total - 2])), body[total:]


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
    if frame.address != address:
        raise FrameError(f"reply from {frame.address}, asked {address}")
    if not frame.is_reply or frame.function != function:
        raise FrameError(f"control code {frame.control:#04x} is not a reply to {function:#04x}")
    if frame.is_error:
        code = frame.data[-1] if frame.data else 0
        raise MeterRefused(f"water meter {address} refused (status {code:#04x})")
    if len(frame.data) < 3 or frame.data[2] != serial & 0xFF:
        raise FrameError(f"reply serial does not match request serial {serial & 0xFF}")
