"""Field commands from control.commands.v1 executed on the bus, confirmed by reading back, reported once."""

from __future__ import annotations

from datetime import datetime

import pytest
from acq_helpers import outbox, published_readings

from services.acquisition import service
from services.acquisition.service import MeterRegistration
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
    await service.register_gateway(new_uow(), "GW-M", "127.0.0.1", sim.gateways[0].port, "modbus-tcp", None)
    await service.register_gateway(new_uow(), "GW-S", "127.0.0.1", sim.serial_gateways[0].port, "transparent-tcp", None)
    await service.register_meter(new_uow(), MeterRegistration("M-1", "GW-M", 1))
    await service.register_meter(new_uow(), MeterRegistration("E-1", "GW-S", 1, protocol="dlt645", address=ELEC))
    await service.register_meter(new_uow(), MeterRegistration("W-1", "GW-S", 2, common_pb2.METER_KIND_WATER,
                                                              protocol="cjt188", address=WATER))
    return sim


async def run(new_uow, field_bus, wall, meter_id: str, action: int, command_id: str = "c1",
              **settings) -> control_pb2.ControlResult:
    command = A.ControlCommand(command_id=command_id, meter_id=meter_id, action=action, attempt=1,
                               settings=A.SettingPush(**settings))
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
        client_regs = await field_bus.modbus("GW-M", "127.0.0.1", sim.gateways[0].port).read_settings(1, 8)
        assert client_regs == [0, 12345, 0, 5000, 0, 0, 0, 7000]

    async def test_a_bad_price_fails_without_touching_the_meter(self, new_uow, field_bus, wall, sim):
        result = await run(new_uow, field_bus, wall, "M-1", A.CONTROL_ACTION_PRICE_PUSH, "p", price_yuan="1.23456")
        assert result.outcome == A.CONTROL_OUTCOME_FAILED and "4 decimals" in result.detail
        assert sim.gateways[0].bus_transactions == 0

    async def test_a_redelivered_command_is_executed_once(self, new_uow, field_bus, wall, sim):
        command = A.ControlCommand(command_id="c", meter_id="M-1", action=A.CONTROL_ACTION_TRIP, attempt=1)
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
