"""Field commands from control.commands.v1 executed on the bus, confirmed by reading back, reported once."""

from __future__ import annotations

from datetime import datetime

import pytest
from acq_helpers import outbox, published_readings
from faststream.kafka import TestKafkaBroker

from services.acquisition import service
from services.acquisition.domain.actions import ControlAction
from services.acquisition.domain.commands import FieldCommand, RegisterGateway, RegisterMeter, SettingRequest
from services.acquisition.entrypoints import consumers
from services.acquisition.entrypoints.consumers import ConsumerDeps
from services.contracts.meterpay.v1 import common_pb2, control_pb2, readings_pb2
from services.kit import messaging
from simulators.site import GatewaySpec, MeterSpec, SiteSpec

A = control_pb2
ELEC, WATER = "000000000101", "78330011223344"


def site() -> SiteSpec:
    modbus = GatewaySpec(name="gw-m", port=0, response_timeout_ms=50,
                         meters=(MeterSpec(device_id=1, meter_id="M-1", kind="constant", base_power_w=1000),))
    serial = GatewaySpec(name="gw-s", port=0, protocol="transparent", response_timeout_ms=50, meters=(
        MeterSpec(device_id=1, meter_id="E-1", kind="constant", protocol="dlt645", address=ELEC),
        MeterSpec(device_id=2, meter_id="W-1", kind="constant", protocol="cjt188", address=WATER)))
    return SiteSpec(name="t", gateways=(modbus, serial), bus_delay=False)


@pytest.fixture
async def sim(new_uow, start_site):
    sim = await start_site(site(), start_local=datetime(2026, 11, 21, 9, 0))
    await service.register_gateway(new_uow(), RegisterGateway("GW-M", "127.0.0.1", sim.gateways[0].port, "modbus-tcp"))
    await service.register_gateway(new_uow(), RegisterGateway(
        "GW-S", "127.0.0.1", sim.serial_gateways[0].port, "transparent-tcp"))
    await service.register_meter(new_uow(), RegisterMeter("M-1", "GW-M", 1))
    await service.register_meter(new_uow(), RegisterMeter("E-1", "GW-S", 1, protocol="dlt645", address=ELEC))
    await service.register_meter(new_uow(), RegisterMeter("W-1", "GW-S", 2, common_pb2.METER_KIND_WATER,
                                                              protocol="cjt188", address=WATER))
    return sim


async def run(new_uow, field_bus, wall, meter_id: str, action: int, command_id: str = "c1",
              **settings) -> control_pb2.ControlResult:
    command = FieldCommand(command_id=command_id, meter_id=meter_id, action=ControlAction(action), attempt=1,
                           settings=SettingRequest(**settings))
    assert await service.execute_field_command(new_uow, field_bus, wall, command)
    results = [A.ControlResult.FromString(p) for p in await outbox(new_uow, messaging.CONTROL_RESULTS)]
    return [r for r in results if r.command_id == command_id][-1]


class TestModbusCommands:
    async def test_trip_is_confirmed_by_reading_the_relay_back(self, new_uow, field_bus, wall, sim):
        result = await run(new_uow, field_bus, wall, "M-1", A.CONTROL_ACTION_TRIP)
        assert result.outcome == A.CONTROL_OUTCOME_CONFIRMED and result.relay_state == common_pb2.RELAY_STATE_OPEN
        assert sim.meter("M-1").relay_open
        reading = (await published_readings(new_uow))[-1]
        assert reading.source == readings_pb2.READING_SOURCE_READ_NOW and reading.relay_state == result.relay_state

    async def test_a_trip_under_power_guarantee_is_reported_failed(self, new_uow, field_bus, wall, sim):
        await run(new_uow, field_bus, wall, "M-1", A.CONTROL_ACTION_POWER_GUARANTEE_ON, "g")
        result = await run(new_uow, field_bus, wall, "M-1", A.CONTROL_ACTION_TRIP, "t")
        assert result.outcome == A.CONTROL_OUTCOME_FAILED and "guarantee" in result.detail
        assert not sim.meter("M-1").relay_open

    async def test_price_and_threshold_pushes_are_written_and_read_back(self, new_uow, field_bus, wall, sim):
        price = await run(new_uow, field_bus, wall, "M-1", A.CONTROL_ACTION_PRICE_PUSH, "p", price_yuan="1.2345")
        assert price.outcome == A.CONTROL_OUTCOME_CONFIRMED
        limits = await run(new_uow, field_bus, wall, "M-1", A.CONTROL_ACTION_THRESHOLD_PUSH, "l",
                           alarm1_fen=5000, overload_w=7000)
        assert limits.outcome == A.CONTROL_OUTCOME_CONFIRMED
        async with field_bus.modbus("GW-M", "127.0.0.1", sim.gateways[0].port).turn() as modbus:
            client_regs = await modbus.read_settings(1, 8)
        assert client_regs == [0, 12345, 0, 5000, 0, 0, 0, 7000]

    async def test_a_bad_price_fails_without_touching_the_meter(self, new_uow, field_bus, wall, sim):
        result = await run(new_uow, field_bus, wall, "M-1", A.CONTROL_ACTION_PRICE_PUSH, "p", price_yuan="1.23456")
        assert result.outcome == A.CONTROL_OUTCOME_FAILED and "4 decimals" in result.detail
        assert sim.gateways[0].bus_transactions == 0

    async def test_a_redelivered_command_is_executed_once(self, new_uow, field_bus, wall, sim):
        command = FieldCommand(command_id="c", meter_id="M-1", action=ControlAction.TRIP, attempt=1)
        assert await service.execute_field_command(new_uow, field_bus, wall, command)
        before = sim.gateways[0].bus_transactions
        assert not await service.execute_field_command(new_uow, field_bus, wall, command)
        assert sim.gateways[0].bus_transactions == before
        assert len(await outbox(new_uow, messaging.CONTROL_RESULTS)) == 1

    async def test_an_unknown_meter_fails_clearly(self, new_uow, field_bus, wall, sim):
        result = await run(new_uow, field_bus, wall, "NOPE", A.CONTROL_ACTION_TRIP)
        assert result.outcome == A.CONTROL_OUTCOME_FAILED and "unknown meter" in result.detail


class TestSerialCommands:
    async def test_dlt645_trip_and_close(self, new_uow, field_bus, wall, sim):
        trip = await run(new_uow, field_bus, wall, "E-1", A.CONTROL_ACTION_TRIP, "t")
        assert trip.outcome == A.CONTROL_OUTCOME_CONFIRMED and sim.serial_device("E-1").meter.relay_open
        close = await run(new_uow, field_bus, wall, "E-1", A.CONTROL_ACTION_CLOSE, "c")
        assert close.relay_state == common_pb2.RELAY_STATE_CLOSED
        assert sim.serial_device("E-1").commands == [0x1A, 0x1C]

    async def test_cjt188_valve_close_and_open(self, new_uow, field_bus, wall, sim):
        shut = await run(new_uow, field_bus, wall, "W-1", A.CONTROL_ACTION_VALVE_CLOSE, "v1")
        assert shut.outcome == A.CONTROL_OUTCOME_CONFIRMED and shut.relay_state == common_pb2.RELAY_STATE_OPEN
        assert sim.serial_device("W-1").meter.valve_closed
        reopened = await run(new_uow, field_bus, wall, "W-1", A.CONTROL_ACTION_VALVE_OPEN, "v2")
        assert reopened.outcome == A.CONTROL_OUTCOME_CONFIRMED and not sim.serial_device("W-1").meter.valve_closed

    async def test_a_valve_command_to_an_electricity_meter_is_refused(self, new_uow, field_bus, wall, sim):
        result = await run(new_uow, field_bus, wall, "E-1", A.CONTROL_ACTION_VALVE_CLOSE)
        assert result.outcome == A.CONTROL_OUTCOME_FAILED and "not supported" in result.detail
        assert sim.serial_gateways[0].line.transactions == 0


class TestControlCommandConsumer:
    async def test_a_command_on_the_topic_is_executed_and_its_result_lands_in_the_outbox(
            self, new_uow, field_bus, wall, sim):
        broker = messaging.make_broker("localhost:9092", False)
        consumers.register(broker, ConsumerDeps(new_uow, field_bus, wall, offline_after=3, known_partitions=set()))
        command = A.ControlCommand(command_id="k1", meter_id="M-1", action=A.CONTROL_ACTION_TRIP, attempt=1)
        async with TestKafkaBroker(broker) as kafka:
            await kafka.publish(command.SerializeToString(), messaging.CONTROL_COMMANDS, key=b"M-1")
            await kafka.publish(command.SerializeToString(), messaging.CONTROL_COMMANDS, key=b"M-1")  # redelivered
        results = [A.ControlResult.FromString(p) for p in await outbox(new_uow, messaging.CONTROL_RESULTS)]
        assert [(r.command_id, r.meter_id, r.attempt, r.outcome, r.relay_state) for r in results] == [
            ("k1", "M-1", 1, A.CONTROL_OUTCOME_CONFIRMED, common_pb2.RELAY_STATE_OPEN)]
        assert sim.meter("M-1").relay_open
        async with new_uow() as uow:
            assert await uow.repo.field_command_seen("k1", 1)
        reading = (await published_readings(new_uow))[-1]
        assert (reading.meter_id, reading.source) == ("M-1", readings_pb2.READING_SOURCE_READ_NOW)

    async def test_an_action_this_service_does_not_know_fails_without_bus_traffic(
            self, new_uow, field_bus, wall, sim):
        broker = messaging.make_broker("localhost:9092", False)
        consumers.register(broker, ConsumerDeps(new_uow, field_bus, wall, offline_after=3, known_partitions=set()))
        command = A.ControlCommand(command_id="k2", meter_id="M-1", action=42, attempt=1)
        async with TestKafkaBroker(broker) as kafka:
            await kafka.publish(command.SerializeToString(), messaging.CONTROL_COMMANDS, key=b"M-1")
        [result] = [A.ControlResult.FromString(p) for p in await outbox(new_uow, messaging.CONTROL_RESULTS)]
        assert result.outcome == A.CONTROL_OUTCOME_FAILED and "not supported" in result.detail
        assert sim.gateways[0].bus_transactions == 0
