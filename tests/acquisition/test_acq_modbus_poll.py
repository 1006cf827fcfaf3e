"""Polling Modbus TCP gateways over real TCP into a real database: readings, statuses, faults."""

from __future__ import annotations

import asyncio
from datetime import datetime

from acq_helpers import published_readings, published_statuses, stored_readings

from services.acquisition import service
from services.acquisition.domain.commands import RegisterGateway, RegisterMeter, SetProjectInterval
from services.contracts.meterpay.v1 import common_pb2, device_pb2, readings_pb2
from simulators.meter import SimulatedMeter
from simulators.site import GatewaySpec, MeterSpec, SiteSpec

START_LOCAL = datetime(2026, 11, 21, 9, 0)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def modbus_site(*meters: MeterSpec) -> SiteSpec:
    return SiteSpec(name="t", gateways=(GatewaySpec(name="gw", port=0, meters=meters, response_timeout_ms=50),),
                    bus_delay=False)


def meter(device_id: int, **options) -> MeterSpec:
    return MeterSpec(device_id=device_id, meter_id=f"M-{device_id}", kind="constant", base_power_w=3600, **options)


async def register(new_uow, sim, *device_ids: int) -> None:
    await service.register_gateway(new_uow(), RegisterGateway("GW-1", "127.0.0.1", sim.gateways[0].port, "modbus-tcp"))
    for device_id in device_ids:
        await service.register_meter(new_uow(), RegisterMeter(f"M-{device_id}", "GW-1", device_id))


class TestModbusPoll:
    async def test_a_cycle_stores_and_publishes_every_meter_once(self, new_uow, poller, start_site):
        clock = FakeMonotonic()
        sim = await start_site(modbus_site(meter(1, initial_total_wh=5000), meter(2)), clock=clock,
                               start_local=START_LOCAL)
        await register(new_uow, sim, 1, 2)
        count = await poller.poll_all()
        assert (count.read, count.failed) == (2, 0)
        clock.now_s += 3600  # one hour at 3.6 kW
        await poller.poll_all()
        rows = await stored_readings(new_uow, "M-1")
        assert [r.total_wh for r in rows] == [5000, 8600]
        assert rows[0].source == readings_pb2.READING_SOURCE_POLL
        published = [r for r in await published_readings(new_uow) if r.meter_id == "M-2"]
        assert [r.total_wh for r in published] == [0, 3600]
        assert published[1].flat_wh + published[1].peak_wh + published[1].sharp_wh + published[1].valley_wh == 3600

    async def test_a_dead_meter_goes_offline_after_k_missed_polls_and_comes_back(self, new_uow, poller, start_site):
        sim = await start_site(modbus_site(meter(1), meter(2)))
        await register(new_uow, sim, 1, 2)
        sim.gateways[0].dead_devices.add(2)
        for _ in range(3):
            count = await poller.poll_all()
            assert (count.read, count.failed) == (1, 1)
        statuses = [s for s in await published_statuses(new_uow) if s.device_id == "M-2"]
        assert [s.online for s in statuses] == [False]  # once, at the second miss (K = 2)
        sim.gateways[0].dead_devices.clear()
        await poller.poll_all()
        statuses = [s for s in await published_statuses(new_uow) if s.device_id == "M-2"]
        assert [s.online for s in statuses] == [False, True]

    async def test_a_counter_rollover_keeps_the_published_total_growing(self, new_uow, poller, start_site):
        clock = FakeMonotonic()
        sim = await start_site(modbus_site(meter(1, initial_total_wh=2**32 - 1000)), clock=clock,
                               start_local=START_LOCAL)
        await register(new_uow, sim, 1)
        await poller.poll_all()
        clock.now_s += 3600  # +3600 Wh: the 32-bit register wraps to 2600
        await poller.poll_all()
        assert sim.meter("M-1").total_wh == 2600
        totals = [r.total_wh for r in await published_readings(new_uow)]
        assert totals == [2**32 - 1000, 2**32 + 2600]

    async def test_a_swapped_meter_continues_from_the_old_total_and_is_reported(self, new_uow, poller, start_site):
        clock = FakeMonotonic()
        sim = await start_site(modbus_site(meter(1, initial_total_wh=500_000)), clock=clock,
                               start_local=START_LOCAL)
        await register(new_uow, sim, 1)
        await poller.poll_all()
        old = sim.meter("M-1")
        sim.gateways[0].swap_meter(1, SimulatedMeter(1, "M-1", old.profile, clock=clock, initial_total_wh=20,
                                                     start_local=START_LOCAL))
        await poller.poll_all()
        clock.now_s += 3600
        await poller.poll_all()
        totals = [r.total_wh for r in await published_readings(new_uow)]
        assert totals == [500_000, 500_000, 503_600]
        resets = [s for s in await published_statuses(new_uow) if "reset" in s.detail]
        assert resets and resets[0].device_id == "M-1" and resets[0].online

    async def test_a_gateway_outage_is_published_and_its_buffer_backfilled_with_original_times(
            self, new_uow, poller, start_site):
        clock, epoch = FakeMonotonic(), [1_795_000_000.0]
        sim = await start_site(modbus_site(meter(1), meter(2)), clock=clock, start_local=START_LOCAL,
                               wall_clock=lambda: epoch[0])
        await register(new_uow, sim, 1, 2)
        await poller.poll_all()
        gateway = sim.gateways[0]
        await gateway.uplink_down()
        count = await poller.poll_all()
        assert count.gateways_down == 1 and count.failed == 0  # meters are not blamed for the link
        for _ in range(3):  # the gateway keeps reading every 30 minutes while cut off
            clock.now_s += 1800
            epoch[0] += 1800
            gateway.store_readings()
        await gateway.uplink_restored()
        count = await poller.poll_all()
        assert (count.backfilled, count.read) == (6, 2)
        backfill = [r for r in await stored_readings(new_uow, "M-1")
                    if r.source == readings_pb2.READING_SOURCE_BACKFILL]
        assert [int(r.read_at.timestamp()) for r in backfill] == [1_795_001_800, 1_795_003_600, 1_795_005_400]
        assert [r.total_wh for r in backfill] == [1800, 3600, 5400]
        gateway_events = [s for s in await published_statuses(new_uow)
                          if s.device_type == device_pb2.DEVICE_TYPE_GATEWAY]
        assert [s.online for s in gateway_events] == [False, True]
        assert len(gateway.buffer.records) == 0  # acknowledged, so a second cycle replays nothing
        assert (await poller.poll_all()).backfilled == 0

    async def test_the_same_backfill_twice_is_stored_once(self, new_uow, poller, start_site):
        epoch = [1_795_000_000.0]
        sim = await start_site(modbus_site(meter(1)), wall_clock=lambda: epoch[0])
        await register(new_uow, sim, 1)
        gateway = sim.gateways[0]
        gateway.store_readings()
        record = gateway.buffer.records[0]
        await poller.poll_all()
        gateway.buffer.records.append(record)  # the gateway replays a record it already sent
        await poller.poll_all()
        backfill = [r for r in await stored_readings(new_uow, "M-1")
                    if r.source == readings_pb2.READING_SOURCE_BACKFILL]
        assert len(backfill) == 1
        relay = [r.relay_state for r in await published_readings(new_uow)]
        assert set(relay) == {common_pb2.RELAY_STATE_CLOSED}


class TestSchedule:
    async def test_a_due_gateway_is_polled_once_per_interval_and_a_project_interval_applies(
            self, new_uow, poller, start_site):
        sim = await start_site(modbus_site(meter(1)))
        await service.register_gateway(new_uow(), RegisterGateway(
            "GW-1", "127.0.0.1", sim.gateways[0].port, "modbus-tcp", project_id="P"))
        await service.register_meter(new_uow(), RegisterMeter("M-1", "GW-1", 1))
        await service.set_project_interval(new_uow(), SetProjectInterval("P", 900))
        for _ in range(3):
            await poller.tick()
            await asyncio.gather(*poller._running.values())
        assert poller.polled_gateways == ["GW-1"]
        wait_s = poller._next_due["GW-1"] - asyncio.get_running_loop().time()
        assert 890 < wait_s <= 900  # the project's 15 minutes, not the default

    async def test_a_ct_connected_meter_publishes_primary_energy(self, new_uow, poller, start_site):
        sim = await start_site(modbus_site(meter(1, initial_total_wh=1234)), clock=FakeMonotonic(),
                               start_local=START_LOCAL)
        await service.register_gateway(new_uow(), RegisterGateway(
            "GW-1", "127.0.0.1", sim.gateways[0].port, "modbus-tcp"))
        await service.register_meter(new_uow(), RegisterMeter("M-1", "GW-1", 1, ct_ratio=50))
        await poller.poll_all()
        reading = (await published_readings(new_uow))[0]
        assert (reading.total_wh, reading.flat_wh, reading.power_w) == (61_700, 61_700, 3600 * 50)

    async def test_a_gateway_that_accepts_but_never_answers_is_down_after_three_silences(self, new_uow, poller):
        async def swallow(reader, writer):
            while await reader.read(1024):
                pass  # a hung gateway: TCP is up, nothing comes back

        server = await asyncio.start_server(swallow, "127.0.0.1", 0)
        try:
            await service.register_gateway(new_uow(), RegisterGateway(
                "GW-1", "127.0.0.1", server.sockets[0].getsockname()[1], "modbus-tcp"))
            for device_id in range(1, 6):
                await service.register_meter(new_uow(), RegisterMeter(f"M-{device_id}", "GW-1", device_id))
            count = await poller.poll_all()
        finally:
            server.close()
        assert (count.gateways_down, count.failed, count.read) == (1, 0, 0)
        assert [(s.device_id, s.online) for s in await published_statuses(new_uow)] == [("GW-1", False)]
