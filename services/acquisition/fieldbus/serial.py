"""Raw DL/T 645 / CJ/T 188 frames over TCP: transparent gateways we dial, and DTUs that dialled us."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from services.acquisition.domain import frames
from services.acquisition.fieldbus.turns import (
    LINK_DOWN_AFTER_TIMEOUTS,
    BusHandle,
    FieldError,
    LinkDown,
    NoReply,
    TakesTurns,
)


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
            except frames.FrameError as exc:  # a garbage reply
                raise FieldError(f"malformed frame: {exc}") from exc
            if frame is not None:
                return frame
            if self.closed.is_set():
                raise LinkDown("connection closed while waiting for a reply")
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise NoReply(f"no reply within {timeout_s:g} s")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), remaining)


class SerialLink(TakesTurns["SerialBus"]):
    """Frames to meters behind a transparent TCP gateway (we dial) or a DTU (it dialled us)."""

    def __init__(self, name: str, timeout_s: float, dial: tuple[str, int] | None = None) -> None:
        self.name = name
        self.address = dial
        self._timeout_s = timeout_s
        self._stream: FrameStream | None = None
        self._silent = 0
        super().__init__(SerialBus)

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

    async def _exchange(self, request: bytes, take: Callable[[bytes], tuple[Any, bytes]]) -> Any:
        stream = await self._connected()
        try:
            frame = await stream.exchange(request, take, self._timeout_s)
        except LinkDown:
            raise
        except FieldError as exc:
            self._silent = self._silent + 1 if isinstance(exc, NoReply) else 0
            if self._silent >= LINK_DOWN_AFTER_TIMEOUTS and self.address is None:
                raise LinkDown(f"DTU {self.name} stopped answering") from exc
            raise
        self._silent = 0
        return frame

    async def _heartbeat(self, dtu_id: str) -> bool:
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


class SerialBus(BusHandle):
    """Frames on a serial bus (or a DTU's socket), for the holder of its turn."""

    __slots__ = ()

    async def exchange(self, request: bytes, take: Callable[[bytes], tuple[Any, bytes]]) -> Any:
        """Send one request and wait for the first whole frame `take` cuts from the reply."""
        return await self._io()._exchange(request, take)

    async def heartbeat(self, dtu_id: str) -> bool:
        """Ask a DTU for its heartbeat; False (and the link closed) when it does not answer."""
        return await self._io()._heartbeat(dtu_id)
