"""Scheduled central reading (F-01): every gateway in parallel, its meters one at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

from services.acquisition.domain.registers import MalformedRegisters, decode_snapshot
from services.acquisition.fieldbus import FieldBus, FieldError
from services.acquisition.repository import GatewayRow, MeterRow
from services.acquisition.service import AcquisitionUnitOfWork, Reading, record_missed_poll, record_reading
from services.contracts.meterpay.v1 import readings_pb2
from services.kit.logging import get_logger

log = get_logger(__name__)


class Poller:
    def __init__(self, new_uow: Callable[[], AcquisitionUnitOfWork], bus: FieldBus,
                 now: Callable[[], datetime], interval_s: float, offline_after: int) -> None:
        self._new_uow = new_uow
        self._bus = bus
        self._now = now
        self._interval_s = interval_s
        self._offline_after = offline_after

    async def run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.poll_all()
            except Exception as exc:  # the database may be away; the next cycle tries again
                log.error("poll cycle failed", error=str(exc))
            await asyncio.sleep(max(0.0, self._interval_s - (time.monotonic() - started)))

    async def poll_all(self, meter_ids: list[str] | None = None,
                       source: int = readings_pb2.READING_SOURCE_POLL) -> tuple[int, int]:
        """One cycle over every gateway (or the given meters); returns (read, failed)."""
        async with self._new_uow() as uow:
            gateways = await uow.repo.gateways()
            meters = await uow.repo.meters(meter_ids=meter_ids)
        by_gateway: dict[str, list[MeterRow]] = {}
        for meter in meters:
            by_gateway.setdefault(meter.gateway_id, []).append(meter)
        results = await asyncio.gather(*(
            self._poll_gateway(g, by_gateway[g.gateway_id], source) for g in gateways if g.gateway_id in by_gateway))
        return sum(r for r, _ in results), sum(f for _, f in results)

    async def _poll_gateway(self, gateway: GatewayRow, meters: list[MeterRow], source: int) -> tuple[int, int]:
        link = self._bus.link(gateway.gateway_id, gateway.host, gateway.port)
        read = failed = 0
        for meter in meters:
            try:
                snapshot = decode_snapshot(await link.read_meter(meter.device_id))
            except (FieldError, MalformedRegisters) as exc:
                failed += 1
                await record_missed_poll(self._new_uow(), meter, self._now(), str(exc), self._offline_after)
                continue
            await record_reading(self._new_uow(), Reading(meter, snapshot, self._now(), source))
            read += 1
        return read, failed
