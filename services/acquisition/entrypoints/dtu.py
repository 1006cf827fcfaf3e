"""The platform's TCP port for 4G DTUs: they dial in, register with their id, and are polled
over that same socket (meters behind a mobile network's NAT cannot be called).

    DTU -> platform   REG:<dtu id>\\r\\n      first line after connecting
    platform -> DTU   HB?\\r\\n               heartbeat when the link has been idle
    DTU -> platform   HB:<dtu id>\\r\\n
    then DL/T 645 / CJ/T 188 frames, transparently

An unknown id is disconnected; a DTU that dials in again replaces its old connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

from services.acquisition import service
from services.acquisition.fieldbus import FieldBus, FrameStream
from services.acquisition.unit_of_work import NewUow
from services.kit.logging import get_logger

log = get_logger(__name__)
REGISTRATION_PREFIX = b"REG:"


class DtuListener:
    def __init__(self, new_uow: NewUow, bus: FieldBus, now: Callable[[], datetime], host: str, port: int,
                 heartbeat_s: float) -> None:
        self._new_uow = new_uow
        self._bus = bus
        self._now = now
        self._address = (host, port)
        self._heartbeat_s = heartbeat_s
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: FrameStream(on_first_line=self._registered), *self._address)
        self.port = self._server.sockets[0].getsockname()[1]
        self._spawn(self._heartbeats())
        log.info("DTU port listening", port=self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def run(self) -> None:
        """As a runtime background task: listen until cancelled (polling goes on if the port is taken)."""
        try:
            await self.start()
        except OSError as exc:
            log.error("DTU port unavailable; DTUs cannot dial in to this instance", port=self._address[1],
                      error=str(exc))
            return
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    def _spawn(self, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _registered(self, stream: FrameStream, line: bytes) -> None:
        if not line.startswith(REGISTRATION_PREFIX):
            log.warning("DTU connection without a registration packet closed", first_bytes=line[:32].hex())
            stream.close()
            return
        self._spawn(self._admit(stream, line[len(REGISTRATION_PREFIX):].decode(errors="replace").strip()))

    async def _admit(self, stream: FrameStream, dtu_id: str) -> None:
        if not await service.is_dtu(self._new_uow(), dtu_id):
            log.warning("unknown DTU refused", dtu_id=dtu_id)
            stream.close()
            return
        link = self._bus.dtu(dtu_id)
        link.attach(stream)
        await service.record_link_change(self._new_uow(), dtu_id, True, self._now(), "DTU 上线 registered")
        await stream.closed.wait()
        if not link.up:  # not replaced by a newer connection of the same DTU
            await service.record_link_change(self._new_uow(), dtu_id, False, self._now(), "DTU 掉线 disconnected")

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat_s)
            for dtu_id in self._bus.dtu_ids():
                link = self._bus.dtu(dtu_id)
                if link.up and not link.busy:
                    async with link.turn() as serial:
                        with contextlib.suppress(Exception):
                            if not await serial.heartbeat(dtu_id):
                                log.warning("DTU missed its heartbeat; link closed", dtu_id=dtu_id)
