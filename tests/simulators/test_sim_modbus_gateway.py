"""A simulated gateway read and commanded over real Modbus TCP with pymodbus' own client."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import NamedTuple

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.constants import ExcCodes
from sim_helpers import EVENING_START, constant_meter, one_gateway_site

from simulators.meter import REGISTER_WRAP
from simulators.modbus_gateway import Band, ControlCode, GatewaySim, Reg, decode_i32, decode_u32

HOUR_S = 3600.0
ALL_MEASUREMENTS = 0x15  # registers 0x0000..0x0014


async def read_measurements(client, device_id: int = 1) -> list[int]:
    response = await client.read_holding_registers(Reg.TOTAL_WH, count=ALL_MEASUREMENTS, device_id=device_id)
    assert not response.isError(), response
    return response.registers


async def send_control(client, code: int, device_id: int = 1) -> None:
    response = await client.write_register(Reg.CONTROL, code, device_id=device_id)
    assert not response.isError(), response


class MeterOnWire(NamedTuple):
    gateway: GatewaySim
    client: AsyncModbusTcpClient


async def start_one_meter(start_site, connect, clock=None, **meter_options) -> MeterOnWire:
    """One constant-load meter (device id 1) behind a gateway without bus delay, and a client."""
    options = {"clock": clock, "start_local": EVENING_START} if clock else {}
    sim = await start_site(one_gateway_site(constant_meter(**meter_options)), **options)
    gateway = sim.gateways[0]
    return MeterOnWire(gateway, await connect(gateway.port))


class TestReadings:
    async def test_energy_increases_with_the_time_scale(self, start_site, connect):
        site = replace(one_gateway_site(constant_meter(base_power_w=3600.0)), time_scale=1000.0)
        sim = await start_site(site)
        client = await connect(sim.gateways[0].port)
        before_first = time.monotonic()
        first = decode_u32(await read_measurements(client), Reg.TOTAL_WH)
        after_first = time.monotonic()
        await asyncio.sleep(0.3)
        before_second = time.monotonic()
        second = decode_u32(await read_measurements(client), Reg.TOTAL_WH)
        after_second = time.monotonic()
        # 3600 W x 1000 = 1 kWh of simulated energy per real second; the meter sampled
        # somewhere inside each read, and each register drops its fraction (hence +-1 Wh).
        assert 1000 * (before_second - after_first) - 1 <= second - first
        assert second - first <= 1000 * (after_second - before_first) + 1

    async def test_band_registers_sum_to_the_total(self, start_site, connect, fake_clock):
        wire = await start_one_meter(start_site, connect, clock=fake_clock)
        fake_clock.advance(1.5 * HOUR_S)  # 18:30 -> 20:00: 30 min peak, 60 min sharp
        registers = await read_measurements(wire.client)
        bands = {band: decode_u32(registers, band) for band in Band}
        assert bands[Band.PEAK] == 500 and bands[Band.SHARP] == 1000
        assert sum(bands.values()) % REGISTER_WRAP == decode_u32(registers, Reg.TOTAL_WH) == 1500

    async def test_electrical_values(self, start_site, connect, fake_clock):
        wire = await start_one_meter(start_site, connect, clock=fake_clock, base_power_w=2200.0)
        registers = await read_measurements(wire.client)
        assert decode_i32(registers, Reg.ACTIVE_POWER_W) == 2200
        assert 2150 <= registers[Reg.VOLTAGE_DV] <= 2250
        assert registers[Reg.POWER_FACTOR_MILLI] == 900
        assert 1000 <= registers[Reg.CURRENT_CA] <= 1150  # ~11 A = 2200 W / (220 V x 0.9)

    async def test_reverse_flow_counts_as_consumption(self, start_site, connect, fake_clock):
        wire = await start_one_meter(
            start_site, connect, clock=fake_clock, reversed_wiring=True, initial_total_wh=5000
        )
        fake_clock.advance(HOUR_S)
        registers = await read_measurements(wire.client)
        assert decode_i32(registers, Reg.ACTIVE_POWER_W) == -1000
        assert decode_u32(registers, Reg.REVERSE_WH) == 1000
        assert decode_u32(registers, Reg.TOTAL_WH) == 5000 + 1000  # |forward| + |reverse|

    async def test_counter_rolls_over(self, start_site, connect, fake_clock):
        wire = await start_one_meter(
            start_site, connect, clock=fake_clock, initial_total_wh=REGISTER_WRAP - 300
        )
        fake_clock.advance(HOUR_S)
        assert decode_u32(await read_measurements(wire.client), Reg.TOTAL_WH) == 700


class TestRelayControl:
    async def test_trip_opens_the_relay_and_stops_energy(self, start_site, connect, fake_clock):
        wire = await start_one_meter(start_site, connect, clock=fake_clock)
        fake_clock.advance(HOUR_S)
        await send_control(wire.client, ControlCode.TRIP)
        fake_clock.advance(HOUR_S)
        registers = await read_measurements(wire.client)
        assert registers[Reg.RELAY_OPEN] == 1
        assert decode_i32(registers, Reg.ACTIVE_POWER_W) == 0 and registers[Reg.CURRENT_CA] == 0
        assert decode_u32(registers, Reg.TOTAL_WH) == 1000
        assert wire.gateway.meter(1).relay_open

    async def test_close_restores_supply(self, start_site, connect, fake_clock):
        wire = await start_one_meter(start_site, connect, clock=fake_clock)
        await send_control(wire.client, ControlCode.TRIP)
        await send_control(wire.client, ControlCode.CLOSE)
        fake_clock.advance(HOUR_S)
        registers = await read_measurements(wire.client)
        assert registers[Reg.RELAY_OPEN] == 0
        assert decode_u32(registers, Reg.TOTAL_WH) == 1000

    async def test_power_guarantee_ignores_trip(self, start_site, connect, fake_clock):
        wire = await start_one_meter(start_site, connect, clock=fake_clock)
        await send_control(wire.client, ControlCode.GUARANTEE_ON)
        await send_control(wire.client, ControlCode.TRIP)
        registers = await read_measurements(wire.client)
        assert registers[Reg.GUARANTEE] == 1 and registers[Reg.RELAY_OPEN] == 0
        await send_control(wire.client, ControlCode.GUARANTEE_OFF)
        await send_control(wire.client, ControlCode.TRIP)
        assert (await read_measurements(wire.client))[Reg.RELAY_OPEN] == 1

    async def test_write_echoes_the_code_and_the_register_reads_back_zero(self, start_site, connect):
        wire = await start_one_meter(start_site, connect)
        echo = await wire.client.write_register(Reg.CONTROL, ControlCode.TRIP, device_id=1)
        assert echo.registers == [ControlCode.TRIP]
        read_back = await wire.client.read_holding_registers(Reg.CONTROL, count=1, device_id=1)
        assert read_back.registers == [0]

    async def test_unknown_control_code_is_an_illegal_value(self, start_site, connect):
        wire = await start_one_meter(start_site, connect)
        response = await wire.client.write_register(Reg.CONTROL, 0x0009, device_id=1)
        assert response.isError() and response.exception_code == ExcCodes.ILLEGAL_VALUE
        assert not wire.gateway.meter(1).relay_open

    async def test_measurement_registers_are_read_only(self, start_site, connect):
        wire = await start_one_meter(start_site, connect)
        response = await wire.client.write_register(Reg.RELAY_OPEN, 1, device_id=1)
        assert response.isError() and response.exception_code == ExcCodes.ILLEGAL_ADDRESS
        assert not wire.gateway.meter(1).relay_open

    async def test_forcing_the_model_shows_on_the_wire(self, start_site, connect):
        wire = await start_one_meter(start_site, connect)
        wire.gateway.meter(1).relay_open = True
        assert (await read_measurements(wire.client))[Reg.RELAY_OPEN] == 1


class TestGatewayBus:
    async def test_unknown_device_id_gets_gateway_no_response(self, start_site, connect):
        site = one_gateway_site(constant_meter(1), bus_delay=True, response_timeout_ms=100.0)
        sim = await start_site(site)
        client = await connect(sim.gateways[0].port)
        started = time.monotonic()
        response = await client.read_holding_registers(0, count=2, device_id=42)
        assert response.isError() and response.exception_code == ExcCodes.GATEWAY_NO_RESPONSE
        assert time.monotonic() - started >= 0.1  # the gateway waited for the silent device

    async def test_several_meters_share_one_endpoint(self, start_site, connect, fake_clock):
        site = one_gateway_site(constant_meter(1, 1000.0), constant_meter(7, 3000.0))
        sim = await start_site(site, clock=fake_clock, start_local=EVENING_START)
        client = await connect(sim.gateways[0].port)
        fake_clock.advance(HOUR_S)
        assert decode_u32(await read_measurements(client, 1), Reg.TOTAL_WH) == 1000
        assert decode_u32(await read_measurements(client, 7), Reg.TOTAL_WH) == 3000
        assert sim.meter("M-0007").total_wh == 3000

    async def test_concurrent_clients_are_serialized_on_the_bus(self, start_site, connect):
        sim = await start_site(one_gateway_site(constant_meter(1), constant_meter(2), bus_delay=True))
        gateway = sim.gateways[0]
        clients = [await connect(gateway.port) for _ in range(2)]
        reads_per_client, count = 4, ALL_MEASUREMENTS

        async def poll(client, device_id):
            for _ in range(reads_per_client):
                await read_measurements(client, device_id)

        started = time.monotonic()
        await asyncio.gather(poll(clients[0], 1), poll(clients[1], 2))
        elapsed_s = time.monotonic() - started
        # A half-duplex line carries one exchange at a time: 8 reads of 21 registers at 9600 baud
        # take at least 8 x (8 + 47 bytes x 11 bits / 9600 + 5 ms) = 8 x 68 ms, not half of it.
        one_read_s = gateway.timing.read_transaction_s(count)
        assert one_read_s == pytest.approx((8 + 5 + 2 * count) * 11 / 9600 + 0.005)
        assert elapsed_s >= 2 * reads_per_client * one_read_s * 0.95
        assert gateway.bus_transactions == 2 * reads_per_client
