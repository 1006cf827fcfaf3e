"""The simulator's DL/T 645 and CJ/T 188 meters, transparent gateway, DTU, store and forward, presets."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest
from sim_helpers import EVENING_START, FakeClock

from simulators.fleet import building_site, park_site
from simulators.meter import Band, LoadProfile, SimulatedMeter
from simulators.modbus_gateway import serve_site
from simulators.serial_gateway import DtuSim, SerialLine
from simulators.serial_meters import (
    Cjt188WaterMeter,
    Dlt645Meter,
    LineTiming,
    WaterMeter,
    cjt188_frame,
    dlt645_frame,
    from_bcd,
    parse_cjt188,
    parse_dlt645,
)
from simulators.site import GatewaySpec, MeterSpec, SiteConfigError, SiteSpec, load_site

ADDRESS = "000000000101"
# Read DI 0x0000FF00 from 000000000101: 68 01 01 00 00 00 00 68 11 04 33 32 33 33 CS 16 (DI +0x33, low byte first)
READ_BLOCK = bytes.fromhex("68 01 01 00 00 00 00 68 11 04 33 32 33 33 00 16")
READ_BLOCK = READ_BLOCK[:-2] + bytes([sum(READ_BLOCK[:-2]) % 256, 0x16])


def dlt_meter(clock: FakeClock, **options) -> Dlt645Meter:
    meter = SimulatedMeter(1, "E-1", LoadProfile.of_kind("constant", 3600), clock=clock,
                           start_local=datetime(2026, 1, 1, 12, 0), **options)
    return Dlt645Meter(ADDRESS, meter)


class TestDlt645Meter:
    def test_the_combined_block_is_bcd_in_hundredths_of_kwh(self, fake_clock):
        device = dlt_meter(fake_clock, initial_total_wh=123_450)
        fake_clock.advance(3600)
        address, control, data = parse_dlt645(device.answer(READ_BLOCK))
        assert (address, control, data[:4]) == (ADDRESS, 0x91, bytes([0x00, 0xFF, 0x00, 0x00]))
        values = [from_bcd(data[i:i + 4]) for i in range(4, len(data), 4)]
        assert values[0] == 12_705 and values[0] == sum(values[1:])  # 127.05 kWh = bands' sum

    def test_other_addresses_and_broken_frames_get_no_answer(self, fake_clock):
        device = dlt_meter(fake_clock)
        assert device.answer(READ_BLOCK.replace(b"\x01\x01", b"\x01\x02", 1)) is None
        assert device.answer(READ_BLOCK[:-2] + bytes([READ_BLOCK[-2] ^ 1, 0x16])) is None

    def test_an_unknown_data_id_gets_an_error_reply(self, fake_clock):
        frame = dlt645_frame(ADDRESS, 0x11, bytes([0x99, 0x99, 0x99, 0x09]))
        _, control, data = parse_dlt645(dlt_meter(fake_clock).answer(frame))
        assert (control, data) == (0xD1, b"\x02")

    def test_relay_trip_then_status_word_shows_it(self, fake_clock):
        device = dlt_meter(fake_clock)
        trip = dlt645_frame(ADDRESS, 0x1C, b"\x02\x00\x00\x00" + b"\x00" * 4 + b"\x1a\x00" + b"\x99" * 6)
        assert parse_dlt645(device.answer(trip))[1] == 0x9C
        _, _, data = parse_dlt645(device.answer(dlt645_frame(ADDRESS, 0x11, bytes([0x03, 0x05, 0x00, 0x04]))))
        assert int.from_bytes(data[4:6], "little") & 0x10

    def test_a_garbage_meter_answers_noise_of_the_same_length(self, fake_clock):
        device = dlt_meter(fake_clock)
        good = device.answer(READ_BLOCK)
        device.garbage = True
        noise = device.answer(READ_BLOCK)
        assert len(noise) == len(good) and parse_dlt645(noise) is None


class TestWaterMeter:
    def test_volume_follows_the_flow_and_the_valve_stops_it(self, fake_clock):
        water = WaterMeter("W-1", LoadProfile.of_kind("constant", 360), clock=fake_clock, initial_l=1000)
        fake_clock.advance(3600)
        assert water.volume_l == 1360
        water.set_valve(closed=True)
        fake_clock.advance(3600)
        assert water.volume_l == 1360

    def test_cjt188_read_and_valve_frames(self, fake_clock):
        water = WaterMeter("W-1", LoadProfile.of_kind("constant", 0), clock=fake_clock, initial_l=12_340)
        device = Cjt188WaterMeter("78330011223344", water)
        reply = device.answer(cjt188_frame(0x10, "78330011223344", 0x01, bytes([0x90, 0x1F, 0x05])))
        meter_type, _, control, data = parse_cjt188(reply)
        assert (meter_type, control, data[2]) == (0x10, 0x81, 0x05)
        assert from_bcd(data[3:7]) == 1234 and data[7] == 0x2C  # 12.34 m3
        shut = device.answer(cjt188_frame(0x10, "78330011223344", 0x04, bytes([0xA0, 0x17, 0x06, 0x99])))
        assert parse_cjt188(shut)[2] == 0x84 and water.valve_closed


class TestTransparentLine:
    async def test_n_reads_hold_the_line_for_at_least_n_byte_times(self, fake_clock):
        timing = LineTiming(baud=9600, turnaround_s=0.005)
        line = SerialLine([dlt_meter(fake_clock)], timing)
        started = time.perf_counter()
        replies = [await line.carry(READ_BLOCK) for _ in range(5)]
        elapsed = time.perf_counter() - started
        per_read = timing.bytes_s(len(READ_BLOCK) + len(replies[0])) + timing.turnaround_s
        assert elapsed >= 5 * per_read

    async def test_a_dtu_registers_and_answers_heartbeats_on_the_platform_socket(self, fake_clock):
        received: list[bytes] = []
        done = asyncio.Event()

        async def platform(reader, writer):
            received.append(await reader.readline())
            writer.write(b"HB?\r\n")
            await writer.drain()
            received.append(await reader.readline())
            writer.write(READ_BLOCK)
            await writer.drain()
            received.append(await reader.read(100))
            writer.close()
            done.set()

        server = await asyncio.start_server(platform, "127.0.0.1", 0)
        dtu = DtuSim("DTU-7", SerialLine([dlt_meter(fake_clock)], LineTiming(enabled=False)), "127.0.0.1",
                     server.sockets[0].getsockname()[1])
        dtu.start()
        try:
            await asyncio.wait_for(done.wait(), 5)
        finally:
            await dtu.stop()
            server.close()
        assert received[:2] == [b"REG:DTU-7\r\n", b"HB:DTU-7\r\n"]
        assert parse_dlt645(received[2])[1] == 0x91


class TestStoreAndForward:
    async def test_the_buffer_is_served_at_unit_255_and_acknowledged(self, connect):
        site = SiteSpec(name="t", bus_delay=False, gateways=(GatewaySpec(name="g", port=0, meters=(
            MeterSpec(device_id=3, meter_id="M-3", kind="constant"),)),))
        sim = await serve_site(site, wall_clock=lambda: 1_795_000_000)
        try:
            gateway = sim.gateways[0]
            await gateway.uplink_down()
            assert gateway.store_readings() == 1 and gateway.store_readings() == 1
            await gateway.uplink_restored()
            client = await connect(gateway.port)
            block = (await client.read_holding_registers(0, count=121, device_id=255)).registers
            assert block[0] == 2 and block[1] == 3 and (block[2] << 16 | block[3]) == 1_795_000_000
            assert gateway.bus_transactions == 0  # the gateway's own memory, not the RS-485 bus
            await client.write_register(0x100, 1, device_id=255)
            assert (await client.read_holding_registers(0, count=1, device_id=255)).registers == [1]
            assert (await client.write_register(0x100, 9, device_id=255)).isError()
        finally:
            await sim.stop()


class TestSitesAndProfiles:
    def test_ready_made_sites_have_the_seed_sizes(self):
        park = park_site()
        assert (len(park.gateways), len(park.all_meters())) == (500, 15_000)
        assert {m.protocol for m in park.all_meters()} == {"modbus", "dlt645", "cjt188"}
        building = load_site("simulators/sites/building-353.yaml")
        assert building == building_site()
        assert len(building.all_meters()) == 353

    def test_serial_meters_need_addresses_of_the_right_length(self):
        with pytest.raises(SiteConfigError, match="12 digits"):
            SiteSpec(name="t", gateways=(GatewaySpec(name="g", protocol="transparent", meters=(
                MeterSpec(device_id=1, meter_id="E", protocol="dlt645", address="123"),)),))

    def test_tenant_kinds_put_different_shares_of_a_day_into_the_bands(self):
        shares = {}
        for kind in ("shop", "office", "apartment", "restaurant"):
            clock = FakeClock()
            meter = SimulatedMeter(1, kind, LoadProfile.of_kind(kind, 1000), clock=clock, start_local=EVENING_START)
            clock.advance(86_400)
            total = meter.total_wh
            shares[kind] = round(meter.band_wh(Band.VALLEY) / total, 3)
        assert shares["apartment"] > shares["office"]  # night load lands in the valley band
        assert len(set(shares.values())) == 4


class TestPresetCli:
    def test_a_preset_is_written_as_a_site_file_that_loads_back(self, tmp_path):
        from simulators.__main__ import main

        target = tmp_path / "park.json"
        assert main(["--preset", "park", "--write-site", str(target)]) == 0
        site = load_site(target)
        assert len(site.all_meters()) == 15_000 and site == park_site()


class TestFaultsFile:
    async def test_faults_from_a_file_are_applied_and_healed(self, tmp_path, connect):
        import json

        from simulators.faults import apply_faults, read_faults

        site = SiteSpec(name="t", bus_delay=False, gateways=(
            GatewaySpec(name="gw", port=0, response_timeout_ms=10, meters=(
                MeterSpec(device_id=1, meter_id="M-1", kind="constant"),)),
            GatewaySpec(name="gs", port=0, protocol="transparent", meters=(
                MeterSpec(device_id=1, meter_id="E-1", kind="constant", protocol="dlt645", address=ADDRESS),))))
        sim = await serve_site(site)
        try:
            path = tmp_path / "faults.json"
            path.write_text(json.dumps({"dead": ["M-1"], "garbage": ["E-1"], "uplink_down": ["gw"]}))
            await apply_faults(sim, read_faults(path))
            gateway = sim.gateway("gw")
            assert gateway.dead_devices == {1} and not gateway.uplink_up and sim.serial_device("E-1").garbage
            path.write_text("{}")
            await apply_faults(sim, read_faults(path))
            client = await connect(gateway.port)  # the uplink is back, the meter answers again
            assert not (await client.read_holding_registers(0, count=21, device_id=1)).isError()
            assert not sim.serial_device("E-1").garbage
            path.write_text("{not json")
            assert read_faults(path) is None
        finally:
            await sim.stop()
