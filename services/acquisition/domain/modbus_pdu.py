"""Modbus application PDUs and the TCP (MBAP) header, as bytes; no I/O.

Only what acquisition sends: read holding registers (3), write single register (6),
write multiple registers (16). An exception reply has the function code + 0x80 and one
exception code byte (0x02 illegal address, 0x03 illegal value, 0x0B gateway target
device failed to respond, ...).
"""

from __future__ import annotations

import struct

READ_HOLDING, WRITE_SINGLE, WRITE_MULTIPLE = 3, 6, 16
MBAP_HEADER_BYTES = 7
MAX_READ_REGISTERS = 125
EXCEPTION_NAMES = {1: "illegal function", 2: "illegal data address", 3: "illegal data value",
                   4: "device failure", 10: "gateway path unavailable", 11: "gateway target device failed to respond"}


class PduError(ValueError):
    """A reply that is not the answer to what was asked."""


class ExceptionReply(Exception):
    def __init__(self, function: int, code: int) -> None:
        self.function, self.code = function, code
        super().__init__(f"exception {code:#04x} ({EXCEPTION_NAMES.get(code, 'unknown')}) to function {function}")


def read_holding(address: int, count: int) -> bytes:
    if not 1 <= count <= MAX_READ_REGISTERS or not 0 <= address <= 0xFFFF:
        raise ValueError(f"cannot read {count} registers at {address}")
    return struct.pack(">BHH", READ_HOLDING, address, count)


def write_single(address: int, value: int) -> bytes:
    return struct.pack(">BHH", WRITE_SINGLE, address, value)


def write_multiple(address: int, values: list[int]) -> bytes:
    return struct.pack(f">BHHB{len(values)}H", WRITE_MULTIPLE, address, len(values), 2 * len(values), *values)


def registers_of(reply: bytes, count: int) -> list[int]:
    """The registers of a function 3 reply, or ExceptionReply / PduError."""
    _check_function(reply, READ_HOLDING)
    if len(reply) != 2 + 2 * count or reply[1] != 2 * count:
        raise PduError(f"expected {count} registers, got a {len(reply)}-byte reply")
    return list(struct.unpack(f">{count}H", reply[2:]))


def check_write(reply: bytes, request: bytes) -> None:
    """A write is acknowledged by echoing the request's first five bytes."""
    _check_function(reply, request[0])
    if reply[:5] != request[:5]:
        raise PduError("write acknowledgement does not echo the request")


def _check_function(reply: bytes, function: int) -> None:
    if not reply:
        raise PduError("empty reply")
    if reply[0] == function | 0x80:
        raise ExceptionReply(function, reply[1] if len(reply) > 1 else 0)
    if reply[0] != function:
        raise PduError(f"reply to function {reply[0]}, asked {function}")


def mbap(transaction_id: int, unit_id: int, pdu: bytes) -> bytes:
    return struct.pack(">HHHB", transaction_id, 0, len(pdu) + 1, unit_id) + pdu


def split_adu(buffer: bytes) -> tuple[tuple[int, int, bytes] | None, bytes]:
    """First whole (transaction id, unit id, pdu) off a TCP stream, and the rest."""
    if len(buffer) < MBAP_HEADER_BYTES:
        return None, buffer
    transaction_id, protocol, length, unit_id = struct.unpack(">HHHB", buffer[:MBAP_HEADER_BYTES])
    if protocol != 0 or not 2 <= length <= 254:
        raise PduError(f"not a Modbus TCP frame (protocol {protocol}, length {length})")
    end = MBAP_HEADER_BYTES - 1 + length
    if len(buffer) < end:
        return None, buffer
    return (transaction_id, unit_id, bytes(buffer[MBAP_HEADER_BYTES:end])), buffer[end:]
