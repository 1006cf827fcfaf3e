"""Links to the field: Modbus TCP gateways, transparent TCP gateways, and DTUs that dialled in.

One request at a time per link: the RS-485 bus behind a gateway carries one
conversation at a time, so polls and commands take turns on the link's lock. Every
wait is bounded (request timeout, retries); a link that stops answering altogether
is reported as LinkDown so the poller stops blaming its meters.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any

from services.acquisition.domain import modbus_pdu
from services.acquisition.domain.registers import CONTROL_REGISTER, READ_COUNT, READ_START
from services.kit.logging import get_logger

log = get_logger(__name__)

GATEWAY_UNIT_ID = 255          # Modbus TCP: the gateway itself (its store-and-forward buffer)
BUFFER_RECORD_REGISTERS = 24
BUFFER_RECORDS_PER_READ = 5
BUFFER_ACK_REGISTER = 0x0100
SETTINGS_REGISTER = 0x0030
LINK_DOWN_AFTER_TIMEOUTS = 3   # consecutive silent requests before the whole link counts as down


class FieldError(Exception):
    """The device did not answer, refused, or answered something unreadable: a missed poll."""


class LinkDown(FieldError):
    """The gateway (or DTU) cannot be reached at all; its meters are not to blame."""


# --------------------------------------------------------------------------- Modbus TCP


def _expire(future: asyncio.Future[bytes]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


class _ModbusTcpStream(asyncio.Protocol):
    """Modbus TCP replies matched to their requests by transaction id."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: dict[int, asyncio.Future[bytes]] = {}
        self.closed = False
        self._buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            try:
                adu, self._buffer = modbus_pdu.split_adu(self._buffer)
            except modbus_pdu.PduError:
                self._buffer = b""  # unframeable bytes: drop them, the request times out
                return
            if adu is None:
                return
            future = self.waiting.pop(adu[0], None)
            if future is not None and not future.done():
                future.set_result(adu[2])

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(LinkDown("connection closed"))
        self.waiting.clear()


class ModbusLink:
    """A Modbus TCP gateway: MBAP framing on a plain asyncio connection (lighter than a general client:
    at 15,000 meters per cycle the client's own CPU is most of the poller's)."""

    def __init__(self, host: str, port: int, timeout_s: float, retries: int) -> None:
        self.address = (host, port)
        self._timeout_s = timeout_s
        self._retries = retries
        self._stream: _ModbusTcpStream | None = None
        self._transaction_ids = itertools.count(1)
        self._silent = 0
        self.lock = asyncio.Lock()

    async def _connected(self) -> _ModbusTcpStream:
        if self._stream is not None and not self._stream.closed:
            return self._stream
        loop = asyncio.get_running_loop()
        try:
            _, self._stream = await asyncio.wait_for(
                loop.create_connection(_ModbusTcpStream, *self.address), self._timeout_s)
        except (OSError, TimeoutError) as exc:
            raise LinkDown(f"gateway {self.address[0]}:{self.address[1]} unreachable: {exc}") from exc
        self._silent = 0
        return self._stream

    async def _call(self, what: str, unit_id: int, pdu: bytes) -> bytes:
        for _attempt in range(self._retries + 1):
            stream = await self._connected()
            transaction_id = next(self._transaction_ids) & 0xFFFF
            reply = asyncio.get_running_loop().create_future()
            stream.waiting[transaction_id] = reply
            stream.transport.write(modbus_pdu.mbap(transaction_id, unit_id, pdu))  # type: ignore[union-attr]
            # A plain timer instead of asyncio.wait_for: this runs 15,000 times a cycle at a park's size.
            timer = asyncio.get_running_loop().call_later(self._timeout_s, _expire, reply)
            try:
                answer = await reply
            except TimeoutError:
                stream.waiting.pop(transaction_id, None)
                continue
            finally:
                timer.cancel()
            self._silent = 0
            return answer
        self._silent += 1
        if self._silent >= LINK_DOWN_AFTER_TIMEOUTS:
            self.close()
            raise LinkDown(f"gateway {self.address[0]}:{self.address[1]} silent")
        raise FieldError(f"{what}: no reply within {self._timeout_s:g} s ({self._retries + 1} tries)")

    async def _read(self, what: str, unit_id: int, address: int, count: int) -> list[int]:
        reply = await self._call(what, unit_id, modbus_pdu.read_holding(address, count))
        try:
            return modbus_pdu.registers_of(reply, count)
        except (modbus_pdu.ExceptionReply, modbus_pdu.PduError) as exc:
            raise FieldError(f"{what}: {exc}") from exc

    async def _write(self, what: str, unit_id: int, request: bytes) -> None:
        reply = await self._call(what, unit_id, request)
        try:
            modbus_pdu.check_write(reply, request)
        except (modbus_pdu.ExceptionReply, modbus_pdu.PduError) as exc:
            raise FieldError(f"{what}: {exc}") from exc

    async def read_meter(self, device_id: int) -> list[int]:
        return await self._read(f"device {device_id}", device_id, READ_START, READ_COUNT)

    async def write_control(self, device_id: int, code: int) -> None:
        await self._write(f"device {device_id} control {code}", device_id,
                          modbus_pdu.write_single(CONTROL_REGISTER, code))

    async def write_settings_at(self, device_id: int, offset: int, registers: list[int]) -> None:
        await self._write(f"device {device_id} settings", device_id,
                          modbus_pdu.write_multiple(SETTINGS_REGISTER + offset, registers))

    async def read_settings(self, device_id: int, count: int) -> list[int]:
        return await self._read(f"device {device_id} settings", device_id, SETTINGS_REGISTER, count)

    async def read_buffer(self) -> list[int]:
        """Pending count then up to 5 buffered records (24 registers each) from the gateway itself."""
        count = 1 + BUFFER_RECORD_REGISTERS * BUFFER_RECORDS_PER_READ
        return await self._read("gateway buffer", GATEWAY_UNIT_ID, 0, count)

    async def acknowledge_buffer(self, records: int) -> None:
        await self._write("gateway buffer ack", GATEWAY_UNIT_ID, modbus_pdu.write_single(BUFFER_ACK_REGISTER, records))

    def close(self) -> None:
        if self._stream is not None and self._stream.transport is not None:
            self._stream.transport.close()
        self._stream = None


# --------------------------------------------------------------------------- serial frames over TCP


class FrameStream(asyncio.Protocol):
    """Bytes of one TCP connection collected for whoever waits on the next frame."""

    def __init__(self, on_first_line: Callable[[FrameStream, bytes], None] | None = None) -> None:
        self.buffer = bytearray()
        self.arrived = asyncio.Event()
        self.closed = asyncio.Event()
        self.transport: asyncio.Transport | None = None
        self._on_first_line = on_first_line

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self._on_first_line is not None and b"\n" in self.buffer:
            line, _, rest = bytes(self.buffer).partition(b"\n")
            self.buffer[:] = rest
            callback, self._on_first_line = self._on_first_line, None
            callback(self, line.strip())
        self.arrived.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()
        self.arrived.set()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, request: bytes, take: Callable[[bytes], tuple[Any, bytes]], timeout_s: float) -> Any:
        """Send one request and wait for the first whole frame `take` can cut from what comes back."""
        if self.closed.is_set() or self.transport is None:
            raise LinkDown("connection closed")
        self.buffer.clear()
        self.transport.write(request)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            try:
                frame, _rest = take(bytes(self.buffer))
            except ValueError as exc:  # the codecs' FrameError: a garbage reply
                raise FieldError(f"malformed frame: {exc}") from exc
            if frame is not None:
                return frame
            if self.closed.is_set():
                raise LinkDown("connection closed while waiting for a reply")
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise FieldError(f"no reply within {timeout_s:g} s")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)


class SerialLink:
    """Frames to meters behind a transparent TCP gateway (we dial) or a DTU (it dialled us)."""

    def __init__(self, name: str, timeout_s: float, dial: tuple[str, int] | None = None) -> None:
        self.name = name
        self.address = dial
        self._timeout_s = timeout_s
        self._stream: FrameStream | None = None
        self._silent = 0
        self.lock = asyncio.Lock()

    def attach(self, stream: FrameStream) -> None:
        """A DTU dialled in (again): its new connection replaces the old one."""
        if self._stream is not None and self._stream is not stream:
            self._stream.close()
        self._stream = stream
        self._silent = 0

    @property
    def up(self) -> bool:
        return self._stream is not None and not self._stream.closed.is_set()

    async def _connected(self) -> FrameStream:
        if self.up:
            return self._stream  # type: ignore[return-value]
        if self.address is None:
            raise LinkDown(f"DTU {self.name} is not connected")
        loop = asyncio.get_running_loop()
        try:
            _, stream = await asyncio.wait_for(loop.create_connection(FrameStream, *self.address), self._timeout_s)
        except (OSError, TimeoutError) as exc:
            raise LinkDown(f"gateway {self.address[0]}:{self.address[1]} unreachable: {exc}") from exc
        self._stream = stream
        return stream

    async def exchange(self, request: bytes, take: Callable[[bytes], tuple[Any, bytes]]) -> Any:
        stream = await self._connected()
        try:
            frame = await stream.exchange(request, take, self._timeout_s)
        except LinkDown:
            raise
        except FieldError as exc:
            self._silent = self._silent + 1 if "no reply" in str(exc) else 0
            if self._silent >= LINK_DOWN_AFTER_TIMEOUTS and self.address is None:
                raise LinkDown(f"DTU {self.name} stopped answering") from exc
            raise
        self._silent = 0
        return frame

    async def heartbeat(self, dtu_id: str) -> bool:
        """Ask a DTU for its heartbeat; False (and the link closed) when it does not answer."""
        if not self.up:
            return False
        expected = b"HB:" + dtu_id.encode()

        def take(buffer: bytes) -> tuple[bytes | None, bytes]:
            return (expected, b"") if expected in buffer else (None, buffer)

        try:
            await self._stream.exchange(b"HB?\r\n", take, self._timeout_s)  # type: ignore[union-attr]
            return True
        except FieldError:
            self.close()
            return False

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None


# --------------------------------------------------------------------------- all links


class FieldBus:
    """The links this instance talks through, made on first use; DTU links appear when they dial in."""

    def __init__(self, timeout_s: float, retries: int) -> None:
        self.timeout_s = timeout_s
        self._retries = retries
        self._links: dict[str, ModbusLink | SerialLink] = {}

    def modbus(self, gateway_id: str, host: str, port: int) -> ModbusLink:
        current = self._links.get(gateway_id)
        if not isinstance(current, ModbusLink) or current.address != (host, port):
            if current is not None:
                current.close()
            current = self._links[gateway_id] = ModbusLink(host, port, self.timeout_s, self._retries)
        return current

    def transparent(self, gateway_id: str, host: str, port: int) -> SerialLink:
        current = self._links.get(gateway_id)
        if not isinstance(current, SerialLink) or current.address != (host, port):
            if current is not None:
                current.close()
            current = self._links[gateway_id] = SerialLink(gateway_id, self.timeout_s, (host, port))
        return current

    def dtu(self, gateway_id: str) -> SerialLink:
        current = self._links.get(gateway_id)
        if not isinstance(current, SerialLink):
            current = self._links[gateway_id] = SerialLink(gateway_id, self.timeout_s)
        return current

    def dtu_ids(self) -> list[str]:
        return [gid for gid, link in self._links.items() if isinstance(link, SerialLink) and link.address is None]

    def forget(self, gateway_id: str) -> None:
        link = self._links.pop(gateway_id, None)
        if link is not None:
            link.close()

    def close(self) -> None:
        for link in self._links.values():
            link.close()
        self._links.clear()
