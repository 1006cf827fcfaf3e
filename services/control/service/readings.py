"""The reading stream: what kind a meter is (trip or valve), and the overload trip (过载)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from services.control.domain.commands import ReadingObserved
from services.control.domain.meter import WatchedMeter
from services.control.domain.policy import Kind, Mode, overloaded
from services.control.service import queue
from services.control.service.config import ControlConfig
from services.control.unit_of_work import ControlUnitOfWork
from services.kit.logging import get_logger

log = get_logger(__name__)

WATCH_PAGE = 5000  # meters loaded per query when the watch refreshes


@dataclass
class ReadingWatch:
    """What the reading stream needs per meter (overload threshold, water or not), held in memory,
    so readings cost no query unless a meter is over its threshold or shows a new kind.

    Refreshed at most every refresh_s from the database (these change rarely: a push, a tag).
    """

    new_uow: Callable[[], ControlUnitOfWork]
    refresh_s: float
    thresholds: dict[str, int] = field(default_factory=dict)
    water: set[str] = field(default_factory=set)
    loaded_at: float = float("-inf")

    async def refresh(self) -> None:
        if time.monotonic() - self.loaded_at > self.refresh_s:
            watched = await _watched_meters(self.new_uow())
            self.thresholds = {m.meter_id: m.overload_threshold_w for m in watched if m.overload_threshold_w > 0}
            self.water = {m.meter_id for m in watched if m.kind is Kind.WATER}
            self.loaded_at = time.monotonic()

    def forget(self) -> None:
        """What the database knows changed: load it again on the next reading."""
        self.loaded_at = float("-inf")

    async def threshold_of(self, meter_id: str) -> int:
        await self.refresh()
        return self.thresholds.get(meter_id, 0)

    async def kind_is_new(self, meter_id: str, kind: Kind) -> bool:
        await self.refresh()
        return kind in (Kind.ELECTRICITY, Kind.WATER) and (kind is Kind.WATER) != (meter_id in self.water)


async def _watched_meters(uow: ControlUnitOfWork) -> list[WatchedMeter]:
    watched: list[WatchedMeter] = []
    async with uow:
        page = await uow.meters.watched(WATCH_PAGE)
        watched.extend(page.items)
        while page.next_cursor:
            page = await uow.meters.watched(WATCH_PAGE, page.next_cursor)
            watched.extend(page.items)
    return watched


async def observe_reading(new_uow: Callable[[], ControlUnitOfWork], watch: ReadingWatch, reading: ReadingObserved,
                          now: datetime, config: ControlConfig) -> bool:
    """A reading teaches control the meter's kind and trips a meter over its threshold; True if it tripped.

    The watch answers from memory; the database is asked only for a new kind or an overload.
    """
    if await watch.kind_is_new(reading.meter_id, reading.kind):
        await learn_meter_kind(new_uow(), reading.meter_id, reading.kind, now)
        watch.forget()
    if not overloaded(reading.power_w, await watch.threshold_of(reading.meter_id)):
        return False
    return await trip_on_overload(new_uow(), reading, now, config)


async def learn_meter_kind(uow: ControlUnitOfWork, meter_id: str, kind: Kind, now: datetime) -> None:
    """A reading says what the meter is (electricity or water): supply commands follow (trip or valve)."""
    async with uow:
        meter = await uow.meters.get_for_update(meter_id)
        meter.learn_kind(kind, now)
        await uow.commit()


async def trip_on_overload(uow: ControlUnitOfWork, reading: ReadingObserved, now: datetime,
                           config: ControlConfig) -> bool:
    """过载: trip a meter drawing more than its threshold (never one in power guarantee) and report it."""
    async with uow:
        meter = await uow.meters.get_for_update(reading.meter_id)
        if not meter.overload_trip_due(reading.power_w):
            return False
        threshold_w = meter.current.overload_threshold_w
        if meter.current.mode is Mode.POWER_GUARANTEE:
            log.warning("overload on a meter in power guarantee: reported, not tripped",
                        meter_id=reading.meter_id, power_w=reading.power_w, threshold_w=threshold_w)
            return False
        meter.trip_for_overload(reading.power_w, now)
        await queue.settle_meter(uow, meter, now, config, "overload",
                                 f"过载 overload {reading.power_w} W > {threshold_w} W")
        log.warning("overload trip", meter_id=reading.meter_id, power_w=reading.power_w)
        await uow.commit()
    return True
