"""Serial meters reached over TCP: a transparent-forwarding gateway, and a 4G DTU that dials in.

A transparent gateway (透明传输) listens on a TCP port and copies bytes to its RS-485
line and back; it does not parse the meters' protocol beyond finding where a frame ends.
A DTU (4G data terminal) does the same but opens the connection itself, to the
platform's port, because a meter behind a mobile network's NAT cannot be called:

    DTU -> platform   REG:<dtu id>\\r\\n          once, right after connecting
    platform -> DTU   HB?\\r\\n                   heartbeat, whenever the platform likes
    DTU -> platform   HB:<dtu id>\\r\\n           heartbeat answer
    anything else     forwarded to the meters and their replies back (transparent)

One request at a time holds the line for the byte time of request and reply at the baud
rate plus the meter's turnaround; a frame no meter answers holds it for the response timeout
and gets no reply at all (the platform's own timeout notices).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from simulators.serial_meters import LineTiming, take_frame

log = logging.getLogger("simulators.serial")

REGISTRATION_PREFIX = b"REG:"
HEARTBEAT_ASK = b"HB?\r\n"
HEARTBEAT_PREFIX = b"HB:"


class SerialDevice(Protocol):
    meter_id: str

    def answer(self, frame: bytes) -> bytes | None: ...


class SerialLine:
    """The RS-485 line: its devices, its timing, one conversation at a time."""

    def __init__(self, devices: list[SerialDevice], timing: LineTiming, response_timeout_s: float = 0.5) -> None:
        self.devices = list(devices)
        self.timing = timing
        self.response_timeout_s = response_timeout_s
        self.transactions = 0
        self._lock = asyncio.Lock()

    def device(self, meter_id: str) -> SerialDevice:
        for device in self.devices:
            if device.meter_id == meter_id:
                return device
        raise KeyError(meter_id)

    async def carry(self, frame: bytes) -> bytes | None:
        async with self._lock:
            self.transactions += 1
            busy_s = self.timing.bytes_s(len(frame)) + self.timing.turnaround_s
            # Meters answer with their state at the moment the request arrives; the line is then
            # held for request, turnaround and reply (or the response timeout) in one wait.
            replies = [r for r in (d.answer(frame) for d in self.devices) if r is not None]
            if not replies:
                await self._hold(busy_s + self.response_timeout_s)
                return None
            await self._hold(busy_s + self.timing.bytes_s(len(replies[0])))
            return replies[0]

    async def _hold(self, seconds: float) -> None:
        if self.timing.enabled and seconds > 0:
            await asyncio.sleep(seconds)


async def forward_frames(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: SerialLine,
                         on_text_line=None) -> None:
    """Copy frames from the socket to the line and replies back until the socket closes."""
    buffer = b""
    while True:
        chunk = await reader.read(4096)
        if not chunk:
            return
        buffer += chunk
        if on_text_line is not None:
            buffer = on_text_line(buffer)
        while True:
            frame, buffer = take_frame(buffer)
            if frame is None:
                break
            reply = await line.carry(frame)
            if reply is not None:
                writer.write(reply)
                await writer.drain()


class TransparentGatewaySim:
    """A TCP endpoint in front of one serial line (one port per RS-485 bus, as real ones do)."""

    def __init__(self, name: str, line: SerialLine, host: str = "127.0.0.1", port: int = 0) -> None:
        self.name = name
        self.line = line
        self.host = host
        self.port = port
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            await forward_frames(reader, writer, self.line)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None


class DtuSim:
    """A 4G DTU: dials the platform, registers, answers heartbeats, forwards frames; redials when cut."""

    def __init__(self, dtu_id: str, line: SerialLine, platform_host: str, platform_port: int,
                 redial_s: float = 0.5) -> None:
        self.dtu_id = dtu_id
        self.line = line
        self.platform = (platform_host, platform_port)
        self.redial_s = redial_s
        self.heartbeats_answered = 0
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writer: asyncio.StreamWriter | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"dtu-{self.dtu_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._drop()

    def drop_link(self) -> None:
        """The mobile link breaks (the DTU will redial)."""
        self._drop()

    def _drop(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.connected.clear()

    async def _run(self) -> None:
        while True:
            try:
                reader, writer = await asyncio.open_connection(*self.platform)
            except OSError:
                await asyncio.sleep(self.redial_s)
                continue
            self._writer = writer
            try:
                writer.write(REGISTRATION_PREFIX + self.dtu_id.encode() + b"\r\n")
                await writer.drain()
                self.connected.set()
                await forward_frames(reader, writer, self.line, on_text_line=self._heartbeats(writer))
            except (ConnectionError, OSError):
                pass
            finally:
                self._drop()
            await asyncio.sleep(self.redial_s)

    def _heartbeats(self, writer: asyncio.StreamWriter):
        def answer(buffer: bytes) -> bytes:
            while HEARTBEAT_ASK in buffer:
                buffer = buffer.replace(HEARTBEAT_ASK, b"", 1)
                writer.write(HEARTBEAT_PREFIX + self.dtu_id.encode() + b"\r\n")
                self.heartbeats_answered += 1
            return buffer
        return answer
