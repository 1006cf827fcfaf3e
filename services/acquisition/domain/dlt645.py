"""DL/T 645-2007 (多功能电能表通信协议) frames, as bytes in and bytes out; no I/O.

Frame: [FE..FE] 68 A0..A5 68 C L DATA CS 16
- address: 12 BCD digits, least significant byte first (AA..AA is broadcast);
- C: bit 7 direction (1 = reply), bit 6 error reply, low 5 bits the function
  (0x11 read data, 0x1C relay control); a normal read reply is 0x91, an error 0xD1;
- DATA: every byte carried +0x33 on the line (so a frame is never full of 00s);
- CS: sum of the bytes from the first 68 to the end of DATA, modulo 256.

Glossary: 拉闸 = trip, 合闸 = close, 保电 = power guarantee, 数据标识 = data identifier (DI).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from services.acquisition.domain import bcd, frames
from services.acquisition.domain.frames import START

DATA_OFFSET = 0x33
FUNCTION_READ, FUNCTION_RELAY = 0x11, 0x1C
MAX_DATA_BYTES = 200  # the standard's limit for a read reply
ENERGY_MODULUS_CENTI_KWH = 10**8  # XXXXXX.XX kWh in 4 BCD bytes rolls over here
WH_PER_CENTI_KWH = 10
ADDRESS_DIGITS = 12
BROADCAST = "aaaaaaaaaaaa"


class FrameError(frames.FrameError):
    """Bytes that are not a well-formed DL/T 645-2007 frame (the message says what is wrong)."""


class DataId(IntEnum):
    """Data identifiers (DI3 DI2 DI1 DI0 as one number) this platform reads."""

    COMBINED_ACTIVE_BLOCK = 0x0000FF00  # |forward| + |reverse|: total, rates 1..4 (sharp, peak, flat, valley)[, 5]
    FORWARD_ACTIVE_BLOCK = 0x0001FF00  # total, rate 1 sharp, 2 peak, 3 flat, 4 valley (XXXXXX.XX kWh each)
    REVERSE_ACTIVE_TOTAL = 0x00020000
    VOLTAGE_A = 0x02010100            # XXX.X V
    CURRENT_A = 0x02020100            # XXX.XXX A, sign in the top bit
    ACTIVE_POWER_TOTAL = 0x02030000   # XX.XXXX kW, sign in the top bit
    POWER_FACTOR_TOTAL = 0x02060000   # X.XXX, sign in the top bit
    STATUS_WORD_3 = 0x04000503        # bit 4 relay open; bit 12 power guarantee (see docs/acquisition.md)


class RelayCommand(IntEnum):
    """N1 of a 0x1C control frame."""

    TRIP = 0x1A
    CLOSE_ALLOWED = 0x1B
    CLOSE_NOW = 0x1C
    GUARANTEE_ON = 0x3A
    GUARANTEE_OFF = 0x3B


STATUS3_RELAY_OPEN = 1 << 4
STATUS3_GUARANTEE = 1 << 12

ERROR_BITS = {0x01: "other error", 0x02: "no data requested", 0x04: "password wrong or not authorised",
              0x08: "communication rate cannot change", 0x10: "annual zones exceeded",
              0x20: "daily periods exceeded", 0x40: "rates exceeded"}


@dataclass(frozen=True)
class Frame(frames.ControlByte):
    address: str      # 12 decimal digits, as printed on the nameplate
    control: int
    data: bytes       # without the +0x33 offset

    function_mask = 0x1F


# --------------------------------------------------------------------------- BCD helpers


bcd_encode = bcd.encode


def bcd_decode(raw: bytes) -> int:
    return bcd.decode(raw, FrameError)


def signed_bcd_decode(raw: bytes) -> int:
    """BCD with the sign in the top bit of the most significant byte (power, current, PF)."""
    negative = bool(raw[-1] & 0x80)
    magnitude = bcd_decode(raw[:-1] + bytes([raw[-1] & 0x7F]))
    return -magnitude if negative else magnitude


def signed_bcd_encode(value: int, size: int) -> bytes:
    raw = bytearray(bcd_encode(abs(value), size))
    if raw[-1] & 0x80:
        raise ValueError(f"{value} does not fit in {size} signed BCD bytes")
    if value < 0:
        raw[-1] |= 0x80
    return bytes(raw)


# --------------------------------------------------------------------------- frames


def _check_second_start(body: bytes) -> None:
    if body[7] != START:
        raise FrameError("second 0x68 missing after the address")


# 68 A0..A5 68 C L: the length is the tenth byte
FORMAT = frames.FrameFormat("DL/T 645", header_bytes=10, max_data_bytes=MAX_DATA_BYTES, error=FrameError,
                            check_header=_check_second_start)


def address_bytes(address: str) -> bytes:
    return frames.address_bytes(FORMAT, address, ADDRESS_DIGITS, bcd_encode)


def encode(frame: Frame, preamble: int = 4) -> bytes:
    """Frame -> bytes on the line (with `preamble` FE wake-up bytes)."""
    data = bytes((b + DATA_OFFSET) & 0xFF for b in frame.data)
    return frames.wrap(FORMAT, address_bytes(frame.address) + bytes([START, frame.control]), data, preamble)


def decode(raw: bytes) -> Frame:
    """Bytes (with or without preamble) holding exactly one frame -> Frame, or FrameError."""
    return frames.only_frame(FORMAT, raw, split_frame)


def split_frame(buffer: bytes) -> tuple[Frame | None, bytes]:
    """Take the first frame off a byte stream: (frame, rest), or (None, buffer) when more bytes are needed.

    Leading FE bytes are skipped; any other junk before the frame is a FrameError.
    """
    body, rest = frames.cut(FORMAT, buffer)
    if body is None:
        return None, buffer
    address = f"{bcd_decode(body[1:7]):012d}" if body[1:7] != b"\xaa" * 6 else BROADCAST
    data = bytes((b - DATA_OFFSET) & 0xFF for b in body[10:])
    return Frame(address, body[8], data), rest


# --------------------------------------------------------------------------- requests and replies


def data_id_bytes(data_id: int) -> bytes:
    return data_id.to_bytes(4, "little")


def read_request(address: str, data_id: int) -> bytes:
    return encode(Frame(address, FUNCTION_READ, data_id_bytes(data_id)))


def relay_request(address: str, command: RelayCommand, password: bytes = b"\x02\x00\x00\x00",
                  operator: bytes = b"\x00\x00\x00\x00", expires: bytes = b"\x99" * 6) -> bytes:
    """0x1C relay control: password (PA + P0..P2), operator code, N1 command, N2 reserved, N3..N8 expiry."""
    data = password + operator + bytes([command, 0x00]) + expires
    return encode(Frame(address, FUNCTION_RELAY, data))


def read_reply_value(frame: Frame, address: str, data_id: int) -> bytes:
    """The value bytes of a read reply for `data_id` from `address`, or FrameError / MeterRefused."""
    _check_reply(frame, address, FUNCTION_READ)
    if frame.data[:4] != data_id_bytes(data_id):
        raise FrameError(f"reply is for DI {int.from_bytes(frame.data[:4], 'little'):#010x}, asked {data_id:#010x}")
    return frame.data[4:]


def check_relay_reply(frame: Frame, address: str) -> None:
    _check_reply(frame, address, FUNCTION_RELAY)


class MeterRefused(frames.MeterRefused):
    """The meter answered with an error reply (C bit 6); the message decodes its error byte."""


def _check_reply(frame: Frame, address: str, function: int) -> None:
    frames.check_reply_to(FORMAT, frame, address, function)
    if frame.is_error:
        code = frame.data[0] if frame.data else 0
        reasons = [text for bit, text in ERROR_BITS.items() if code & bit] or ["unspecified"]
        raise MeterRefused(f"meter {address} refused ({code:#04x}: {', '.join(reasons)})")


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class EnergyBlock:
    total_wh: int
    sharp_wh: int
    peak_wh: int
    flat_wh: int
    valley_wh: int
    deep_valley_wh: int = 0


def decode_energy_block(value: bytes) -> EnergyBlock:
    """Energy block: total then rates 1..4 (sharp, peak, flat, valley) and an optional rate 5
    (deep valley), 4 BCD bytes each."""
    if len(value) not in (20, 24):
        raise FrameError(f"energy block needs 20 or 24 bytes, got {len(value)}")
    wh = [bcd_decode(value[i:i + 4]) * WH_PER_CENTI_KWH for i in range(0, len(value), 4)]
    return EnergyBlock(*wh)


def decode_energy(value: bytes) -> int:
    if len(value) != 4:
        raise FrameError(f"energy needs 4 bytes, got {len(value)}")
    return bcd_decode(value) * WH_PER_CENTI_KWH


def decode_sized(value: bytes, size: int, signed: bool = False) -> int:
    if len(value) != size:
        raise FrameError(f"value needs {size} bytes, got {len(value)}")
    return signed_bcd_decode(value) if signed else bcd_decode(value)


def decode_status_word(value: bytes) -> int:
    """Status words are binary, low byte first (not BCD)."""
    if len(value) != 2:
        raise FrameError(f"status word needs 2 bytes, got {len(value)}")
    return int.from_bytes(value, "little")
