"""Scheduled central reading (F-01): every gateway in parallel (bounded), its meters one at a time.

Each gateway is due `interval` after its last poll (its own, its project's, or the default
30 minutes) plus a random jitter, so 500 gateways do not all start in the same second.
With several instances, a gateway is polled only by the instance holding its Redis lease;
a DTU only by the instance it dialled into.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

from services.acquisition import devices, service
from services.acquisition.domain.events import ReadingSource
from services.acquisition.domain.polling import GatewayCycle, Taken
from services.acquisition.domain.registry import Gateway, Meter
from services.acquisition.fieldbus import FieldBus, FieldError, LinkDown, ModbusLink
from services.acquisition.unit_of_work import NewUow
from services.kit.leases import LeaseBook
from services.kit.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class PollPolicy:
    interval_s: float = 1800.0
    offline_after: int = 3
    max_parallel_gateways: int = 1000
    jitter_s: float = 30.0
    buffer_max_records: int = 5000   # store-and-forward records taken per gateway per cycle
    tick_s: float = 1.0              # how often the scheduler looks for due gateways
    # A 30-meter bus at 9600 baud takes about 2 s to read; storing what was read every half
    # second lets a reading that exhausts a balance leave before the rest of its bus is read.
    store_every_s: float = 0.5


@dataclass
class PollCount:
    read: int = 0
    failed: int = 0
    backfilled: int = 0
    gateways_down: int = 0

    def add(self, cycle: GatewayCycle) -> None:
        self.read += sum(1 for t in cycle.taken if t.source != ReadingSource.BACKFILL)
        self.backfilled += sum(1 for t in cycle.taken if t.source == ReadingSource.BACKFILL)
        self.failed += len(cycle.missed)
        self.gateways_down += 0 if cycle.link_up else 1


class Poller:
    def __init__(self, new_uow: NewUow, bus: FieldBus, now: Callable[[], datetime], policy: PollPolicy,
                 leases: LeaseBook | None = None) -> None:
        self._new_uow = new_uow
        self._bus = bus
        self._now = now
        self.policy = policy
        self._leases = leases
        self._slots = asyncio.Semaphore(policy.max_parallel_gateways)
        self._next_due: dict[str, float] = {}
        self._running: dict[str, asyncio.Task[PollCount]] = {}
        self.partitions: set[date] = set()
        self.polled_gateways: list[str] = []  # every gateway cycle this instance ran (tests, metrics)

    # ---- the schedule

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception as exc:  # Redis or the database away: the next tick tries again
                log.error("poll scheduling failed", error=str(exc))
            await asyncio.sleep(self.policy.tick_s)

    async def tick(self) -> None:
        """Start a cycle for every gateway of ours that is due and not already being polled."""
        mine = await self._ours(await service.all_gateways(self._new_uow()))
        for gone in set(self._next_due) - {g.gateway_id for g in mine}:
            del self._next_due[gone]  # if it comes back, its schedule restarts from its last poll in the database
        clock = time.monotonic()
        for gateway in mine:
            due = self._next_due.setdefault(gateway.gateway_id, self._first_due(gateway, clock))
            if due <= clock and gateway.gateway_id not in self._running:
                self._next_due[gateway.gateway_id] = clock + gateway.interval_s(self.policy.interval_s)
                task = asyncio.create_task(self._scheduled_cycle(gateway))
                self._running[gateway.gateway_id] = task
                task.add_done_callback(lambda _, gid=gateway.gateway_id: self._running.pop(gid, None))

    def _first_due(self, gateway: Gateway, clock: float) -> float:
        interval_s = gateway.interval_s(self.policy.interval_s)
        jitter_s = random.uniform(0, min(self.policy.jitter_s, interval_s))
        if gateway.last_polled_at is None:
            return clock + jitter_s
        since_s = (self._now() - gateway.last_polled_at).total_seconds()
        return clock + max(0.0, interval_s - since_s) + jitter_s

    async def _ours(self, gateways: list[Gateway]) -> list[Gateway]:
        dialled_in = {gid for gid in self._bus.dtu_ids() if self._bus.dtu(gid).up}
        dtus = [g for g in gateways if g.dials_in and g.gateway_id in dialled_in]
        leased = [g for g in gateways if not g.dials_in]
        if self._leases is not None:
            held = await self._leases.balance([g.gateway_id for g in leased])
            leased = [g for g in leased if g.gateway_id in held]
        return leased + dtus

    async def _scheduled_cycle(self, gateway: Gateway) -> PollCount:
        try:
            if self._leases is not None and not gateway.dials_in:
                if not await self._leases.holds(gateway.gateway_id):
                    return PollCount()
            meters = await service.meters_to_poll(self._new_uow(), gateway_id=gateway.gateway_id)
            return await self.poll_gateway(gateway, meters, ReadingSource.POLL)
        except Exception as exc:  # database or Redis away: nothing was half-stored; the next interval retries
            log.error("gateway cycle failed", gateway_id=gateway.gateway_id, error=str(exc))
            self._next_due[gateway.gateway_id] = time.monotonic() + min(60.0, self.policy.interval_s)
            return PollCount()

    # ---- cycles

    async def poll_all(self, meter_ids: list[str] | None = None,
                       source: ReadingSource = ReadingSource.POLL) -> PollCount:
        """One cycle now over every gateway (or the given meters), gateways in parallel."""
        gateways = await service.all_gateways(self._new_uow())
        meters = await service.meters_to_poll(self._new_uow(), meter_ids=meter_ids)
        by_gateway: dict[str, list[Meter]] = {}
        for meter in meters:
            by_gateway.setdefault(meter.gateway_id, []).append(meter)
        counts = await asyncio.gather(*(
            self.poll_gateway(g, by_gateway[g.gateway_id], source) for g in gateways if g.gateway_id in by_gateway))
        total = PollCount()
        for count in counts:
            for name in ("read", "failed", "backfilled", "gateways_down"):
                setattr(total, name, getattr(total, name) + getattr(count, name))
        return total

    async def poll_gateway(self, gateway: Gateway, meters: list[Meter], source: ReadingSource) -> PollCount:
        """Read one gateway's buffer and meters, storing what was read every store_every_s (one
        transaction a chunk) and the rest at the end."""
        count = PollCount()

        async def store(cycle: GatewayCycle) -> None:
            await service.record_gateway_cycle(self._new_uow(), cycle, self._now(), self.policy.offline_after,
                                               self.partitions)
            count.add(cycle)

        async with self._slots:
            await store(await self._read_gateway(gateway, meters, source, store))
            self.polled_gateways.append(gateway.gateway_id)
        return count

    async def _read_gateway(self, gateway: Gateway, meters: list[Meter], source: ReadingSource,
                            store: Callable[[GatewayCycle], Awaitable[None]]) -> GatewayCycle:
        """Read the gateway; full chunks go to store() as they fill, the last one is returned."""
        link = devices.link_for(self._bus, gateway)
        cycle = GatewayCycle(gateway, link_up=True)
        chunk_started = time.monotonic()
        try:
            if isinstance(link, ModbusLink) and source == ReadingSource.POLL:
                cycle.taken += await self._backfill(link, meters)
            for meter in meters:
                try:
                    sample = await devices.read_sample(link, meter)
                except LinkDown:
                    raise
                except FieldError as exc:
                    cycle.missed.append((meter, str(exc)))
                    continue
                cycle.taken.append(Taken(meter, sample, self._now(), source))
                if 0 < self.policy.store_every_s <= time.monotonic() - chunk_started:
                    await store(cycle)
                    cycle = GatewayCycle(gateway, link_up=True)
                    chunk_started = time.monotonic()
        except LinkDown as exc:
            cycle.link_up, cycle.link_detail = False, f"链路断开 link down: {exc}"
            cycle.missed = []  # the meters are not to blame for their gateway's link
        return cycle

    async def _backfill(self, link: ModbusLink, meters: list[Meter]) -> list[Taken]:
        """Readings the gateway stored during an outage (F-03), with their original times."""
        try:
            records = await devices.drain_buffer(link, self.policy.buffer_max_records)
        except LinkDown:
            raise
        except FieldError:
            return []  # a gateway without a store-and-forward buffer
        by_device = {m.device_id: m for m in meters if m.bus == 1}
        return [Taken(by_device[r.device_id], r.sample, r.read_at, ReadingSource.BACKFILL)
                for r in records if r.device_id in by_device]
