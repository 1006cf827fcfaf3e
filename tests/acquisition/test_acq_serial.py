"""DL/T 645 and CJ/T 188 meters behind a transparent gateway and behind a dial-in 4G DTU, over real TCP."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from acq_helpers import gateway_row, published_readings, published_statuses, stored_readings

from services.acquisition import service
from services.acquisition.domain.commands import RegisterGateway, RegisterMeter
from services.acquisition.entrypoints.dtu import DtuListener
from services.contracts.meterpay.v1 import common_pb2, device_pb2
from simulators.site import GatewaySpec, MeterSpec, SiteSpec

START_LOCAL = datetime(2026, 11, 21, 9, 0)  # peak band 08-11
ELEC, WATER = "000000000101", "78330011223344"


class FakeMonotonic:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def serial_meters() -> tuple[MeterSpec, ...]:
    return (
        MeterSpec(device_id=1, meter_id="E-1", kind="constant", base_power_w=3600, protocol="dlt645",
                  address=ELEC, initial_total_wh=123_450),
        MeterSpec(device_id=2, meter_id="W-1", kind="constant", base_power_w=360, protocol="cjt188",
                  address=WATER, initial_total_wh=5_000),  # 360 L/h, 5 m3 to start
    )


def serial_site(protocol: str, platform_port: int = 1) -> SiteSpec:
    gateway = GatewaySpec(name="DTU-1" if protocol == "dtu" else "gw-serial", port=0, protocol=protocol,
                          meters=serial_meters(), response_timeout_ms=50)
    return SiteSpec(name="t", gateways=(gateway,), bus_delay=False, platform=f"127.0.0.1:{platform_port}")


async def register_serial(new_uow, gateway_id: str, transport: str, port: int = 0) -> None:
    await service.register_gateway(new_uow(), RegisterGateway(gateway_id, "127.0.0.1" if port else "", port, transport))
    await service.register_meter(new_uow(), RegisterMeter("E-1", gateway_id, 1, common_pb2.METER_KIND_ELECTRICITY,
                                                              protocol="dlt645", address=ELEC))
    await service.register_meter(new_uow(), RegisterMeter("W-1", gateway_id, 2, common_pb2.METER_KIND_WATER,
                                                              protocol="cjt188", address=WATER))


@pytest.fixture
async def transparent(new_uow, start_site):
    clock = FakeMonotonic()
    sim = await start_site(serial_site("transparent"), clock=clock, start_local=START_LOCAL)
    await register_serial(new_uow, "GW-S", "transparent-tcp", sim.serial_gateways[0].port)
    return sim, clock


class TestTransparentGateway:
    async def test_electricity_and_water_are_read_in_their_own_protocols(self, new_uow, poller, transparent):
        sim, clock = transparent
        assert (await poller.poll_all()).read == 2
        clock.now_s += 3600
        assert (await poller.poll_all()).read == 2
        energy = [r.total_wh for r in await stored_readings(new_uow, "E-1")]
        assert energy == [123_450, 127_050]  # DL/T 645 counts 0.01 kWh = 10 Wh
        water = [r for r in await published_readings(new_uow) if r.meter_id == "W-1"]
        assert [r.volume_l for r in water] == [5_000, 5_360]
        assert water[0].kind == common_pb2.METER_KIND_WATER
        electric = [r for r in await published_readings(new_uow) if r.meter_id == "E-1"]
        assert (electric[1].flat_wh, electric[1].peak_wh, electric[1].power_w) == (123_450, 3600, 3600)
        assert sim.serial_gateways[0].line.transactions == 2 * (3 + 1)  # 3 DL/T 645 reads + 1 CJ/T 188 read

    async def test_a_garbage_reply_is_a_missed_poll_not_a_reading(self, new_uow, poller, transparent):
        sim, _ = transparent
        sim.serial_device("E-1").garbage = True
        count = await poller.poll_all()
        assert (count.read, count.failed) == (1, 1)
        count = await poller.poll_all()
        assert await stored_readings(new_uow, "E-1") == []
        offline = [s for s in await published_statuses(new_uow) if s.device_id == "E-1"]
        assert [s.online for s in offline] == [False] and "frame" in offline[0].detail

    async def test_a_dead_water_meter_times_out_and_goes_offline(self, new_uow, poller, transparent):
        sim, _ = transparent
        sim.serial_device("W-1").dead = True
        await poller.poll_all()
        await poller.poll_all()
        statuses = [s for s in await published_statuses(new_uow) if s.device_id == "W-1"]
        assert [s.online for s in statuses] == [False] and "no reply" in statuses[0].detail
        assert len(await stored_readings(new_uow, "E-1")) == 2  # its neighbour on the bus still reads

    async def test_a_gateway_that_is_gone_is_offline_and_its_meters_are_not_blamed(self, new_uow, poller, transparent):
        sim, _ = transparent
        await sim.serial_gateways[0].stop()
        count = await poller.poll_all()
        assert count.gateways_down == 1 and count.failed == 0
        assert (await gateway_row(new_uow, "GW-S")).online is False
        assert [s.device_id for s in await published_statuses(new_uow)] == ["GW-S"]


class TestDtuDialIn:
    async def test_a_dtu_registers_is_polled_over_its_own_socket_and_answers_heartbeats(
            self, new_uow, poller, field_bus, wall, start_site):
        await register_serial(new_uow, "DTU-1", "dtu")
        listener = DtuListener(new_uow, field_bus, wall, "127.0.0.1", 0, heartbeat_s=0.05)
        await listener.start()
        try:
            sim = await start_site(serial_site("dtu", listener.port), clock=FakeMonotonic(), start_local=START_LOCAL)
            dtu = sim.dtu("DTU-1")
            await asyncio.wait_for(dtu.connected.wait(), 5)
            await _until(lambda: field_bus.dtu("DTU-1").up)
            await _until(lambda: dtu.heartbeats_answered >= 2)
            count = await poller.poll_all()
            assert (count.read, count.failed, count.gateways_down) == (2, 0, 0)
            assert [r.total_wh for r in await stored_readings(new_uow, "E-1")] == [123_450]
            dtu.drop_link()
            await _until(lambda: not field_bus.dtu("DTU-1").up)
            await _until(lambda: field_bus.dtu("DTU-1").up)  # it redials
            assert (await poller.poll_all()).read == 2
            gateway_events = [s.online for s in await published_statuses(new_uow)
                              if s.device_type == device_pb2.DEVICE_TYPE_GATEWAY]
            assert gateway_events[:2] == [True, False] and gateway_events[-1] is True
        finally:
            await listener.stop()

    async def test_an_unknown_dtu_is_refused(self, new_uow, field_bus, wall):
        listener = DtuListener(new_uow, field_bus, wall, "127.0.0.1", 0, heartbeat_s=10)
        await listener.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            writer.write(b"REG:NOBODY\r\n")
            await writer.drain()
            assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the platform
            assert field_bus.dtu_ids() == []
        finally:
            await listener.stop()


async def _until(condition, timeout_s: float = 5.0) -> None:
    """Wait for a condition another task makes true (polled: those tasks expose no event to wait on)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.01)
