"""Control's consumers driven in memory through FastStream's TestKafkaBroker, against a real database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from faststream.kafka import TestKafkaBroker

import services.control
from services.contracts.meterpay.v1 import common_pb2, control_pb2, device_pb2, readings_pb2, wallet_pb2
from services.control.domain.lifecycle import RetryPolicy
from services.control.domain.policy import Supply
from services.control.domain.windows import DayKind
from services.control.entrypoints import consumers
from services.control.entrypoints.events import to_outgoing
from services.control.service.config import ControlConfig
from services.control.service.readings import ReadingWatch
from services.control.unit_of_work import ControlUnitOfWork
from services.kit import messaging
from services.kit.clock import FixedClock
from services.kit.outbox import OUTBOX

MIGRATIONS = str(Path(services.control.__file__).parent / "migrations")
NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)
CONFIG = ControlConfig(RetryPolicy(max_attempts=2, result_timeout_s=30), lambda day: DayKind.WORKDAY)


@pytest.fixture
async def deps(service_database) -> consumers.ConsumerDeps:
    sessions = await service_database("control", MIGRATIONS)

    def new_uow() -> ControlUnitOfWork:
        return ControlUnitOfWork(sessions, lambda: None, to_outgoing)

    return consumers.ConsumerDeps(new_uow, FixedClock(NOW), CONFIG, ReadingWatch(new_uow, refresh_s=0))


async def published(deps, topic: str, message_type) -> list:
    async with deps.new_uow() as uow:
        rows = (await uow.session.execute(OUTBOX.select().order_by(OUTBOX.c.id))).all()
    return [message_type.FromString(r.payload) for r in rows if r.topic == topic]


def status(meter_id: str, relay_state: int) -> device_pb2.DeviceStatus:
    return device_pb2.DeviceStatus(device_id=meter_id, device_type=device_pb2.DEVICE_TYPE_METER, online=True,
                                   relay_state=relay_state)


async def test_an_arrears_event_on_the_bus_puts_a_trip_in_the_outbox(deps):
    broker = messaging.make_broker("localhost:9092", False)
    consumers.register(broker, deps)
    arrears = wallet_pb2.WalletEvent(event_id="e1:ARREARS", account_id="A1", meter_ids=["M1"],
                                     kind=wallet_pb2.WALLET_EVENT_KIND_ARREARS)
    alarm = wallet_pb2.WalletEvent(event_id="e2:ALARM", account_id="A1", meter_ids=["M1"],
                                   kind=wallet_pb2.WALLET_EVENT_KIND_ALARM_LEVEL)
    async with TestKafkaBroker(broker) as bus:
        await bus.publish(status("M1", common_pb2.RELAY_STATE_CLOSED).SerializeToString(), messaging.DEVICE_STATUS,
                          key=b"M1")
        for event in (arrears, arrears, alarm):  # a redelivery and an event that does not touch supply
            await bus.publish(event.SerializeToString(), messaging.WALLET_EVENTS, key=b"A1")
    [trip] = await published(deps, messaging.CONTROL_COMMANDS, control_pb2.ControlCommand)
    assert (trip.meter_id, trip.action, trip.attempt) == ("M1", control_pb2.CONTROL_ACTION_TRIP, 1)
    assert trip.requested_by == "wallet-event:e1:ARREARS" and trip.issued_at.ToDatetime(tzinfo=UTC) == NOW
    async with deps.new_uow() as uow:
        meter = await uow.meters.get("M1")
    assert meter.in_arrears


async def test_an_overload_reading_trips_and_the_result_is_recorded(deps):
    broker = messaging.make_broker("localhost:9092", False)
    consumers.register(broker, deps)
    tags = control_pb2.MeterTags(overload_threshold_w=5000)
    async with deps.new_uow() as uow:  # a threshold as SetMeterTags leaves it
        meter = await uow.meters.get_for_update("M1")
        meter.set_tags(meter.current.tags, meter.current.kind, tags.overload_threshold_w, NOW)
        meter.record_relay(Supply.ON, NOW)
        await uow.commit()
    async with TestKafkaBroker(broker) as bus:
        calm = readings_pb2.MeterReading(meter_id="M1", power_w=4000, kind=common_pb2.METER_KIND_ELECTRICITY)
        await bus.publish(calm.SerializeToString(), messaging.METER_READINGS, key=b"M1")
        assert await published(deps, messaging.CONTROL_COMMANDS, control_pb2.ControlCommand) == []
        hot = readings_pb2.MeterReading(meter_id="M1", power_w=6200, kind=common_pb2.METER_KIND_ELECTRICITY)
        await bus.publish(hot.SerializeToString(), messaging.METER_READINGS, key=b"M1")
        [trip] = await published(deps, messaging.CONTROL_COMMANDS, control_pb2.ControlCommand)
        assert trip.action == control_pb2.CONTROL_ACTION_TRIP and trip.requested_by == "overload"
        assert trip.reason == "过载 overload 6200 W > 5000 W"
        result = control_pb2.ControlResult(command_id=trip.command_id, meter_id="M1", attempt=1,
                                           outcome=control_pb2.CONTROL_OUTCOME_CONFIRMED,
                                           relay_state=common_pb2.RELAY_STATE_OPEN, detail="relay open")
        await bus.publish(result.SerializeToString(), messaging.CONTROL_RESULTS, key=b"M1")
    [final] = await published(deps, messaging.CONTROL_EVENTS, control_pb2.ControlResult)
    assert (final.command_id, final.status, final.detail) == (trip.command_id, "confirmed", "relay open")
    assert final.action == control_pb2.CONTROL_ACTION_TRIP and final.requested_by == "overload"
    async with deps.new_uow() as uow:
        meter = await uow.meters.get("M1")
    assert meter.overload_tripped and meter.known_state == common_pb2.RELAY_STATE_OPEN


async def test_a_water_reading_teaches_the_kind(deps):
    broker = messaging.make_broker("localhost:9092", False)
    consumers.register(broker, deps)
    async with TestKafkaBroker(broker) as bus:
        water = readings_pb2.MeterReading(meter_id="W1", power_w=0, kind=common_pb2.METER_KIND_WATER)
        await bus.publish(water.SerializeToString(), messaging.METER_READINGS, key=b"W1")
    async with deps.new_uow() as uow:
        meter = await uow.meters.get("W1")
    assert meter.kind == common_pb2.METER_KIND_WATER
