"""The frame shape DL/T 645 and CJ/T 188 share, checked in one place; no I/O.

    [FE..FE] 68 <header> L DATA CS 16

Both start with 0x68 after optional FE wake-up bytes, carry the data length L as the last
header byte, end with a checksum (byte sum from the first 68 to the end of DATA, modulo
256) and 0x16, and put a control byte C before L: bit 7 set in a reply, bit 6 in an error
reply, the function in the low bits. What differs (the header's layout, the function mask,
the data offset) stays in dlt645.py and cjt188.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

START, END, PREAMBLE = 0x68, 0x16, 0xFE
REPLY_BIT, ERROR_BIT = 0x80, 0x40
F = TypeVar("F")


class FrameError(ValueError):
    """Bytes that are not a well-formed frame (each codec raises its own subclass)."""


class MeterRefused(Exception):
    """The meter answered with an error reply (each codec raises its own subclass)."""


@dataclass(frozen=True)
class FrameFormat:
    """How one protocol lays out the shared frame shape."""

    name: str                        # as the error messages say it: "DL/T 645", "CJ/T 188"
    header_bytes: int                # from the first 68 up to and including L
    max_data_bytes: int
    error: type[FrameError]          # the codec's own
    check_header: Callable[[bytes], None] | None = None  # layout checks once the header is in


class ControlByte:
    """Reading a frame's control byte (mixed into each codec's Frame, which has `address` and `control`;
    the Frame sets `function_mask`, the function's bits)."""

    address: str
    control: int
    function_mask = 0xFF

    @property
    def function(self) -> int:
        return self.control & self.function_mask

    @property
    def is_reply(self) -> bool:
        return bool(self.control & REPLY_BIT)

    @property
    def is_error(self) -> bool:
        return bool(self.control & ERROR_BIT)


def checksum(body: bytes) -> int:
    return sum(body) & 0xFF


def wrap(fmt: FrameFormat, header: bytes, data: bytes, preamble: int) -> bytes:
    """68 + header (without L) + L + DATA, framed: wake-up bytes before, checksum and 16 after."""
    if len(data) > fmt.max_data_bytes:
        raise ValueError(f"data of {len(data)} bytes exceeds {fmt.max_data_bytes}")
    body = bytes([START]) + header + bytes([len(data)]) + data
    return bytes([PREAMBLE] * preamble) + body + bytes([checksum(body), END])


def cut(fmt: FrameFormat, buffer: bytes) -> tuple[bytes | None, bytes]:
    """The first whole frame's body (68 .. DATA, checked) off a byte stream, and the rest;
    (None, buffer) while more bytes are needed. Junk before the frame is a FrameError."""
    start = 0
    while start < len(buffer) and buffer[start] == PREAMBLE:
        start += 1
    body = buffer[start:]
    if not body:
        return None, buffer
    if body[0] != START:
        raise fmt.error(f"frame starts with {body[0]:#04x}, expected 0x68")
    if len(body) < fmt.header_bytes:
        return None, buffer
    if fmt.check_header is not None:
        fmt.check_header(body)
    total = fmt.header_bytes + body[fmt.header_bytes - 1] + 2
    if len(body) < total:
        return None, buffer
    if body[total - 1] != END:
        raise fmt.error(f"frame ends with {body[total - 1]:#04x}, expected 0x16")
    if checksum(body[:total - 2]) != body[total - 2]:
        raise fmt.error(f"checksum {body[total - 2]:#04x} does not match {checksum(body[:total - 2]):#04x}")
    return bytes(body[:total - 2]), body[total:]


def only_frame(fmt: FrameFormat, raw: bytes, split: Callable[[bytes], tuple[F | None, bytes]]) -> F:
    """Bytes holding exactly one frame (wake-up bytes allowed around it) -> that frame."""
    frame, rest = split(raw)
    if frame is None:
        raise fmt.error(f"incomplete frame ({len(raw)} bytes)")
    if rest.strip(bytes([PREAMBLE])):
        raise fmt.error(f"{len(rest)} bytes after the end of the frame")
    return frame


def check_reply_to(fmt: FrameFormat, frame: ControlByte, address: str, function: int) -> None:
    """The frame answers `function` from `address` (an error reply included: the codec decodes it)."""
    if frame.address != address:
        raise fmt.error(f"reply from {frame.address}, asked {address}")
    if not frame.is_reply or frame.function != function:
        raise fmt.error(f"control code {frame.control:#04x} is not a reply to {function:#04x}")


def address_bytes(fmt: FrameFormat, address: str, digits: int, encode: Callable[[int, int], bytes]) -> bytes:
    if len(address) != digits or not address.isdigit():
        raise ValueError(f"a {fmt.name} address is {digits} decimal digits, not {address!r}")
    return encode(int(address), digits // 2)
