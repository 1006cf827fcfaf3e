"""Meter placements from the console's registry (registry.events.v1): the property becomes the meter's
project, which picks its protection window; newest placement wins, older and replayed ones are no-ops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from faststream.kafka import TestKafkaBroker

import services.control
from services.contracts.meterpay.v1 import control_pb2, registry_pb2
from services.control.domain.commands import DeviceStatusObserved, MeterPlaced, WalletSupplyChanged
from services.control.domain.lifecycle import RetryPolicy
from services.control.domain.policy import Supply
from services.control.domain.windows import DayKind, ProtectionWindow
from services.control.entrypoints import consumers
from services.control.entrypoints.events import to_outgoing
from services.control.service import facts, sweep, windows
from services.control.service.config import ControlConfig
from services.control.service.readings import ReadingWatch
from services.control.unit_of_work import ControlUnitOfWork
from services.kit import messaging
from services.kit.clock import FixedClock
from services.kit.outbox import OUTBOX

MIGRATIONS = str(Path(services.control.__file__).parent / "migrations")
SHANGHAI = ZoneInfo("Asia/Shanghai")
SATURDAY_NOON = datetime(2026, 11, 21, 12, 0, tzinfo=SHANGHAI).astimezone(UTC)
CONFIG = ControlConfig(RetryPolicy(max_attempts=2, result_timeout_s=30),
                       lambda day: DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY)


@pytest.fixture
async def new_uow(service_database):
    sessions = await service_database("control", MIGRATIONS)
    return lambda: ControlUnitOfWork(sessions, lambda: None, to_outgoing)


def placed(meter_id: str, property_id: str, at: datetime) -> registry_pb2.RegistryEvent:
    return registry_pb2.RegistryEvent(
        event_id=f"{meter_id}@{at.isoformat()}", occurred_at=messaging.timestamp(at),
        meter_placed=registry_pb2.MeterPlaced(meter_id=meter_id, room_id="R-1", property_id=property_id,
                                              area_m2="40.00", building_id="B-1"))


async def project_of(new_uow, meter_id: str) -> tuple[str, datetime | None] | None:
    async with new_uow() as uow:
        meter = await uow.meters.get(meter_id)
    return (meter.tags.project, meter.placed_at) if meter else None


async def commands_sent(new_uow) -> list[control_pb2.ControlCommand]:
    async with new_uow() as uow:
        rows = (await uow.session.execute(OUTBOX.select().order_by(OUTBOX.c.id))).all()
    return [control_pb2.ControlCommand.FromString(r.payload) for r in rows if r.topic == messaging.CONTROL_COMMANDS]


class TestRegistryEventsConsumer:
    async def test_a_placement_sets_the_project_and_older_or_replayed_ones_change_nothing(self, new_uow):
        deps = consumers.ConsumerDeps(new_uow, FixedClock(SATURDAY_NOON), CONFIG, ReadingWatch(new_uow, 0))
        broker = messaging.make_broker("localhost:9092", False)
        consumers.register(broker, deps)
        t1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        contacts = registry_pb2.RegistryEvent(event_id="t1", occurred_at=messaging.timestamp(t1),
                                              tenant_contacts=registry_pb2.TenantContactsChanged(tenant_id="T1"))
        async with TestKafkaBroker(broker) as bus:
            for event in (placed("M1", "tower-a", t1), contacts):  # M1: a meter control has never seen
                await bus.publish(event.SerializeToString(), messaging.REGISTRY_EVENTS, key=b"M1")
            assert await project_of(new_uow, "M1") == ("tower-a", t1)
            for event in (placed("M1", "tower-b", t1 - timedelta(hours=1)), placed("M1", "tower-c", t1)):
                await bus.publish(event.SerializeToString(), messaging.REGISTRY_EVENTS, key=b"M1")
            assert await project_of(new_uow, "M1") == ("tower-a", t1)
            later = t1 + timedelta(minutes=5)
            await bus.publish(placed("M1", "tower-b", later).SerializeToString(), messaging.REGISTRY_EVENTS,
                              key=b"M1")
        assert await project_of(new_uow, "M1") == ("tower-b", later)
        assert await project_of(new_uow, "T1") is None


class TestPlacementAndProtectionWindows:
    async def test_the_window_of_the_project_a_meter_is_placed_in_holds_its_cut(self, new_uow):
        now = SATURDAY_NOON
        await windows.set_protection_window(new_uow(), ProtectionWindow("tower-a", weekends=True), now)
        assert await facts.place_meter(new_uow(), MeterPlaced("M1", "tower-a", now), now)
        await facts.observe_device(new_uow(), DeviceStatusObserved("M1", True, Supply.ON), now, CONFIG)
        await facts.apply_supply_change(new_uow(), WalletSupplyChanged("e1", ("M1",), True), now, CONFIG)
        assert await commands_sent(new_uow) == []
        async with new_uow() as uow:
            assert (await uow.meters.get("M1")).cut_check_at == datetime(2026, 11, 23, 0, 0, tzinfo=SHANGHAI)

    async def test_a_meter_in_arrears_moved_out_of_the_window_is_cut_at_the_next_sweep(self, new_uow):
        now = SATURDAY_NOON
        await windows.set_protection_window(new_uow(), ProtectionWindow("tower-a", weekends=True), now)
        await facts.place_meter(new_uow(), MeterPlaced("M1", "tower-a", now), now)
        await facts.observe_device(new_uow(), DeviceStatusObserved("M1", True, Supply.ON), now, CONFIG)
        await facts.apply_supply_change(new_uow(), WalletSupplyChanged("e1", ("M1",), True), now, CONFIG)
        later = now + timedelta(minutes=1)
        assert await facts.place_meter(new_uow(), MeterPlaced("M1", "tower-b", later), later)
        assert not await facts.place_meter(new_uow(), MeterPlaced("M1", "tower-a", now), later)  # older
        await sweep.sweep(new_uow, later, CONFIG)
        [trip] = await commands_sent(new_uow)
        assert (trip.meter_id, trip.action) == ("M1", control_pb2.CONTROL_ACTION_TRIP)
